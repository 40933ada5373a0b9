"""Real service processes for the reliability tests: the app under gunicorn, Celery
workers, and private Redis and localstripe servers that a test may stop, kill and start
again on the same port (never the shared ones).

Every process is started in its own session from this test process and stopped by its
own pid; logs go to files under the test's tmp_path so a failure can show them.
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def venv_command(name):
    for candidate in (Path(sys.executable).with_name(name), ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def port_open(port):
    with contextlib.suppress(OSError):
        socket.create_connection((HOST, port), timeout=0.3).close()
        return True
    return False


class ServiceProcess:
    """One process we started, with its log file."""

    def __init__(self, name, command, log_path, env=None, cwd=ROOT):
        self.name = name
        self.command = command
        self.log_path = Path(log_path)
        self.env = env
        self.cwd = cwd
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log_file,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_until(self, predicate, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not predicate():
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}) while "
                                   f"waiting for {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what} from {self.name} within {timeout}s:\n"
                                   f"{self.tail()}")
            time.sleep(0.1)

    def kill(self, signum=signal.SIGKILL):
        """Send ``signum`` to this process only (not its children) and reap it."""
        if self.alive():
            os.kill(self.process.pid, signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)

    def stop(self, timeout=15):
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def app_environment(*, database_url, redis_url, queue, stripe_base=None, mail_port=None,
                    upload_dir=None, **extra):
    """The environment of an app process (web or worker) on the test's services."""
    env = dict(os.environ, MARKETPLACE_CONFIG="testing",
               DATABASE_URL=database_url, TEST_DATABASE_URL=database_url,
               REDIS_URL=redis_url, TEST_REDIS_URL=redis_url, CELERY_QUEUE=queue,
               TASKS_IN_PROCESS="false", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("TEST_STRIPE_API_BASE", None)
    if stripe_base:
        env["TEST_STRIPE_API_BASE"] = stripe_base
    if mail_port:
        env.update(MAIL_SERVER=HOST, MAIL_PORT=str(mail_port))
    else:
        env.pop("MAIL_SERVER", None)
    if upload_dir:
        env["UPLOAD_DIR"] = str(upload_dir)
    env.update({key: str(value) for key, value in extra.items()})
    return env


def celery_worker(env, log_path, nodename, queue):
    """A worker process (the production entry point), one task at a time."""
    command = [venv_command("celery"), "-A", "celery_worker", "worker", "--pool=solo",
               "--concurrency=1", "-Q", queue, "--loglevel=info", "-n", nodename,
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = ServiceProcess(f"celery worker {nodename}", command, log_path, env).start()
    worker.ready = lambda timeout=45: worker.wait_until(
        lambda: " ready." in worker.log(), "worker start-up", timeout)
    return worker


class Gunicorn(ServiceProcess):
    """``gunicorn 'marketplace:create_app()'`` with several worker processes."""

    def __init__(self, env, log_path, workers=2, threads=4):
        self.port = free_port()
        command = [venv_command("gunicorn"), "-w", str(workers), "-k", "gthread",
                   "--threads", str(threads), "-b", f"{HOST}:{self.port}", "--timeout", "90",
                   "--graceful-timeout", "3", "--access-logfile", "-",
                   "marketplace:create_app()"]
        super().__init__(f"gunicorn :{self.port}", command, log_path, env)
        self.workers = workers

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self, timeout=60):
        super().start()

        def answers():
            with contextlib.suppress(requests.RequestException):
                return requests.get(self.url + "/api/v1/openapi.json", timeout=2).ok
            return False
        self.wait_until(answers, "an answer on /api/v1/openapi.json", timeout)
        self.wait_until(lambda: self.log().count("Booting worker") >= self.workers,
                        f"{self.workers} booted web workers", timeout)
        return self

    def worker_pids(self):
        found = []
        for line in self.log().splitlines():
            if "Booting worker with pid:" in line:
                found.append(int(line.rsplit(":", 1)[1]))
        return found


class PrivateRedis(ServiceProcess):
    """A redis-server of our own on a fixed free port: stop it, start it again."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = Path(tmp_path) / f"redis-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        binary = self.binary()
        command = [binary, "--port", str(self.port), "--bind", HOST, "--save", "",
                   "--appendonly", "no", "--dir", str(self.dir)]
        super().__init__(f"redis-server :{self.port}", command, self.dir / "redis.log")

    @staticmethod
    def binary():
        return shutil.which("redis-server") or next(
            (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
             if os.access(p, os.X_OK)), None)

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout=15):
        super().start()
        self.wait_until(lambda: port_open(self.port), "redis listening", timeout)
        return self

    def stop(self, timeout=15):
        super().stop(timeout)
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


class PrivateLocalStripe(ServiceProcess):
    """localstripe (scripts/localstripe_server.py) of our own; with ``state_file`` its
    objects and idempotency keys survive a restart, as Stripe's would."""

    def __init__(self, tmp_path, state_file=None):
        self.port = free_port()
        self.dir = Path(tmp_path) / f"localstripe-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(ROOT / "scripts" / "localstripe_server.py"),
                   "--host", HOST, "--port", str(self.port)]
        if state_file:
            command += ["--state-file", str(state_file)]
        super().__init__(f"localstripe :{self.port}", command, self.dir / "localstripe.log",
                         dict(os.environ, TMPDIR=str(self.dir)), cwd=self.dir)

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self, timeout=20):
        super().start()

        def answers():
            with contextlib.suppress(requests.RequestException):
                return requests.get(self.url + "/js.stripe.com/v3/", timeout=1).ok
            return False
        self.wait_until(answers, "localstripe answering", timeout)
        return self

    def stop(self, timeout=15):
        super().stop(timeout)
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
