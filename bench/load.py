"""The load driver: asyncio, one connection per request (gunicorn's sync workers close
the connection after each answer), a fixed number of requests in flight. The ceiling
and the scenario it is compared with are driven by the same function with the same
concurrency."""
import asyncio
import json as jsonlib
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, method, path, payload, **headers):
        return cls(method, path, {"Content-Type": "application/json", **headers},
                   jsonlib.dumps(payload).encode())

    def encode(self, port):
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}",
                 "Connection: close", f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return jsonlib.loads(self.body)


async def fetch(port, request, timeout=60):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(request.encode(port))
        raw = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])):
        body = _unchunk(body)
    return Response(status, headers, body)


def _unchunk(data):
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


@dataclass
class Result:
    count: int
    seconds: float
    latencies: list
    statuses: dict
    errors: int

    @property
    def rate(self):
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p):
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def summary(self):
        return {"requests": self.count, "seconds": round(self.seconds, 3),
                "rate": round(self.rate, 1), "p50_ms": round(self.percentile(50) * 1000, 1),
                "p99_ms": round(self.percentile(99) * 1000, 1), "statuses": self.statuses,
                "errors": self.errors}


async def _drive(port, requests, concurrency, duration, on_response, side_tasks):
    """``requests``: an iterator of Request; stops when it ends or after ``duration``."""
    latencies, statuses = [], {}
    errors = 0
    started = time.perf_counter()
    deadline = started + duration if duration else None
    iterator = iter(requests)

    ports = port if isinstance(port, (list, tuple)) else [port]

    async def one_client(index):
        nonlocal errors
        client_port = ports[index % len(ports)]
        while True:
            if deadline and time.perf_counter() >= deadline:
                return
            try:
                request = next(iterator)
            except StopIteration:
                return
            t0 = time.perf_counter()
            try:
                response = await fetch(client_port, request)
            except (OSError, asyncio.TimeoutError, ValueError, IndexError):
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if on_response:
                on_response(request, response)

    side = [asyncio.ensure_future(task) for task in side_tasks]
    await asyncio.gather(*(one_client(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    for task in side:
        task.cancel()
    for task in side:
        try:
            await task
        except asyncio.CancelledError:
            pass
    return Result(len(latencies), elapsed, latencies, statuses, errors)


def drive(port, requests, *, concurrency, duration=None, on_response=None, side_tasks=()):
    """Run the load against ``port`` (or a list of ports, the clients spread over them,
    as behind a load balancer); ``side_tasks`` are coroutine factories run alongside (e.g. approvals
    racing the applications), cancelled when the load ends."""
    async def main():
        return await _drive(port, requests, concurrency, duration, on_response,
                            [factory() for factory in side_tasks])
    return asyncio.run(main())


def repeat(request):
    while True:
        yield request
