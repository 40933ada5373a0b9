"""Where the machine's CPU went during a measured phase, by part of the stack.

A throughput ratio says how far a scenario is from its goal; this says why. On one machine
the web workers, the Celery workers, PostgreSQL, Redis and the load driver share the same
cores, so the rate a scenario reaches is about (cores / CPU-milliseconds per item), and
the CPU per item of each part shows which one to make cheaper. Read from /proc (Linux);
elsewhere the accounting is simply absent.
"""
import contextlib
import os
from pathlib import Path

DRIVER = "load driver"
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _ticks(pid):
    """utime + stime of one process, in clock ticks (None once it has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def _descendants(pid):
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for path in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(p) for p in path.read_text().split()]
    return found


def _machine_busy_ticks():
    """All CPUs' non-idle time since boot (/proc/stat), in ticks."""
    with contextlib.suppress(OSError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values[:8]) - idle
    return None


class CpuAccount:
    """CPU seconds spent by each part between :meth:`start` and :meth:`stop`.

    ``parts`` maps a label to a callable returning the root pids of that part (their
    descendants count too); PostgreSQL is every process run from a `postgres` binary (the
    backends serving the benchmark, and the server's own writers: the WAL writer and
    checkpointer are part of the cost of a commit). "rest of the machine" is what the
    kernel counted as busy minus all of those: other work on a shared machine shows there.
    """

    def __init__(self, parts):
        self.parts = dict(parts)
        self._before = None
        self.seconds = {}

    def _sample(self):
        pids = {label: set() for label in self.parts}
        for label, roots in self.parts.items():
            for root in roots():
                # the driver is the benchmark's own process: its children are the product
                pids[label].update([root] if label == DRIVER else _descendants(root))
        pids["postgres"] = {int(p) for p in os.listdir("/proc") if p.isdigit()
                            and _cmdline(p).startswith("postgres")}
        ticks = {label: {pid: _ticks(pid) for pid in members}
                 for label, members in pids.items()}
        return ticks, _machine_busy_ticks()

    def start(self):
        if os.path.isdir("/proc/self/task"):
            self._before = self._sample()
        return self

    def stop(self):
        if self._before is None:
            return self
        (before, busy_before), (after, busy_after) = self._before, self._sample()
        for label, now in after.items():
            spent = sum(t - (before.get(label, {}).get(pid) or 0)
                        for pid, t in now.items() if t is not None)
            self.seconds[label] = spent / _TICK
        if busy_before is not None and busy_after is not None:
            self.seconds["rest of the machine"] = max(
                0.0, (busy_after - busy_before) / _TICK - sum(self.seconds.values()))
        return self

    def per_item_ms(self, items):
        """{part: CPU milliseconds per item}, largest first, with the total."""
        if not self.seconds or not items:
            return {}
        shares = sorted(self.seconds.items(), key=lambda kv: -kv[1])
        out = {label: round(1000 * s / items, 2) for label, s in shares}
        out["total"] = round(1000 * sum(self.seconds.values()) / items, 2)
        return out


def stack_parts(servers, celery_procs=(), driver_pid=None):
    """The usual parts: the gunicorn instances, the Celery workers and the load driver."""
    parts = {"web (gunicorn)": lambda: [s.proc.pid for s in servers if s.proc is not None]}
    if celery_procs:
        parts["Celery"] = lambda: [p.pid for p in celery_procs if p is not None]
    parts[DRIVER] = lambda: [driver_pid or os.getpid()]
    return parts


def budget_note(cores, ceiling_rate, goal_ratio):
    """The CPU per item the goal allows on this machine: all cores at the goal's rate."""
    rate = ceiling_rate * goal_ratio
    return round(1000 * cores / rate, 2) if rate else None


def outbox_mark(app):
    """The newest outbox message's id: :func:`wait_for_outbox` waits for those after it."""
    from sqlalchemy import func, select

    from marketplace.core.outbox import OutboxMessage
    from marketplace.extensions import db

    with app.app_context():
        try:
            return db.session.execute(select(func.coalesce(func.max(OutboxMessage.id), 0))
                                      ).scalar_one()
        finally:
            db.session.remove()


def wait_for_outbox(app, after_id, timeout=120):
    """Seconds until the product's Celery worker has handled every outbox message newer
    than ``after_id`` (the work a phase queued is part of its cost); None if it had not
    after ``timeout``. Older messages (the setup's, never relayed) are not waited for."""
    import time

    from sqlalchemy import func, select

    from marketplace.core.outbox import OutboxMessage
    from marketplace.extensions import db

    t0 = time.monotonic()
    with app.app_context():
        try:
            while time.monotonic() - t0 < timeout:
                waiting = db.session.execute(select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.id > after_id, OutboxMessage.processed_dt.is_(None))
                ).scalar_one()
                db.session.commit()
                if not waiting:
                    return time.monotonic() - t0
                time.sleep(0.1)
            return None
        finally:
            db.session.remove()


def describe(per_item, allowed_ms, item):
    """One line for the console: each part's CPU per item, and what the goal allows."""
    if not per_item:
        return ""
    parts = ", ".join(f"{label} {ms:.1f}" for label, ms in per_item.items()
                      if label != "total")
    allowed = f"; the goal allows {allowed_ms:.1f} ms on all cores" if allowed_ms else ""
    return f"CPU ms per {item}: {parts}; total {per_item['total']:.1f}{allowed}"
