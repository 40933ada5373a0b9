"""The benchmark's private world: its own PostgreSQL databases (cloned from one migrated
template), its own Celery queue on the shared Redis (keys purged afterwards), and the
product's gunicorn and Celery worker started with the product's own settings."""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.run_tests import (find_postgres, find_redis, free_port,  # noqa: E402
                               purge_redis_keys, throwaway_database, with_database)

PY = sys.executable
BIN = Path(PY).parent
HOST = "127.0.0.1"


def workers_default():
    """The product's gunicorn worker count (Makefile: 2 x CPUs + 1)."""
    return int(os.environ.get("WORKERS") or 2 * (os.cpu_count() or 1) + 1)


class BenchEnv:
    """One run: a token naming its databases, queue and rate-limit keys."""

    def __init__(self, stack, size, concurrency, workers, log_dir):
        self.stack = stack
        self.size = size
        # --in-process (the smoke test): the apps are served from threads of this process
        # and Celery tasks run eagerly, so no process has to boot; the figures are made
        # the same way but say nothing about production.
        self.in_process = False
        self.concurrency = concurrency
        self.workers = workers
        self.token = secrets.token_hex(4)
        self.queue = f"hc-bench-{self.token}"
        self.log_dir = Path(log_dir)
        self.pg = stack.enter_context(find_postgres())
        self.rd = stack.enter_context(find_redis())
        if not self.rd.throwaway:
            stack.callback(purge_redis_keys, self.rd.url, self.queue)
        self.secret = secrets.token_hex(32)
        self._template = None
        self._apps = {}

    # --- databases ------------------------------------------------------------------
    def template(self):
        """A database migrated once by the product's migrations, cloned per benchmark."""
        if self._template is None:
            from flask_migrate import upgrade

            from marketplace.accounts.reference import seed_reference_data
            from marketplace.extensions import db

            name = f"hc_bench_{self.token}_tmpl"
            url = self.stack.enter_context(throwaway_database(self.pg.url, name))
            with step("migrate the template database"):
                app = self.app(url)
                with app.app_context():
                    upgrade()
                    seed_reference_data()
                    db.session.commit()
                    db.session.remove()
                    db.engine.dispose()
            self._template = name
        return self._template

    @contextlib.contextmanager
    def database(self, label):
        """A fresh database (``hc_bench_<token>_<label>``) with the schema; dropped after."""
        template = self.template()
        name = f"hc_bench_{self.token}_{label}"
        with psycopg.connect(self.pg.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
        try:
            yield with_database(self.pg.url, name)
        finally:
            self._apps.pop(name, None)
            with psycopg.connect(self.pg.url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))

    # --- the product ----------------------------------------------------------------
    def product_env(self, db_url, **extra):
        """Production settings, as `make serve`/`make worker` would run them."""
        env = dict(os.environ, MARKETPLACE_CONFIG="production", SECRET_KEY=self.secret,
                   IDENTITY_HASH_KEY=self.secret,
                   DATABASE_URL=db_url, REDIS_URL=self.rd.url, CELERY_QUEUE=self.queue,
                   FLASK_APP="marketplace:create_app", LOG_LEVEL="WARNING",
                   # plain HTTP on loopback: the load driver would drop Secure cookies
                   SESSION_COOKIE_SECURE="0", PYTHONPATH=str(ROOT), **self.gateway)
        for name in ("MAIL_SERVER", "TEST_DATABASE_URL", "TEST_REDIS_URL"):
            env.pop(name, None)
        env.update({k: str(v) for k, v in extra.items()})
        return env

    @property
    def gateway(self):
        """Production refuses the development gateway settings; no benchmark pays, so
        these name a gateway that does not exist (.invalid never resolves)."""
        return {"STRIPE_API_BASE": "https://gateway.invalid",
                "STRIPE_JS_URL": "https://gateway.invalid/v3/",
                "STRIPE_SECRET_KEY": "sk_bench_" + self.secret[:16],
                "STRIPE_PUBLISHABLE_KEY": "pk_bench_" + self.secret[:16],
                "STRIPE_WEBHOOK_SECRET": "whsec_bench_" + self.secret[:16]}

    def app(self, db_url):
        """The product app in this process (for setup and checks), production config."""
        from config import normalise_database_url
        from marketplace import create_app

        os.environ.update(SECRET_KEY=self.secret, IDENTITY_HASH_KEY=self.secret,
                          SESSION_COOKIE_SECURE="0", DATABASE_URL=db_url, **self.gateway)
        os.environ.pop("MAIL_SERVER", None)
        app = create_app({"CONFIG_NAME": "production",
                          "SQLALCHEMY_DATABASE_URI": normalise_database_url(db_url),
                          "REDIS_URL": self.rd.url, "CELERY_QUEUE": self.queue,
                          "TASKS_IN_PROCESS": self.in_process, "LOG_LEVEL": "WARNING",
                          "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
        return app

    def _thread_server(self, app_spec, env):
        import threading

        from werkzeug.serving import make_server
        if app_spec.startswith("marketplace"):
            app = self.app(env["DATABASE_URL"])
        else:
            from bench.bare_app import app
        server = make_server(HOST, 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Server(None, server.server_port)
        finally:
            server.shutdown()

    def log(self, name):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{name}.log", "ab")

    @contextlib.contextmanager
    def gunicorn(self, app_spec, env, label, workers=None):
        """gunicorn with the product's settings (Makefile `serve`): sync workers,
        WORKERS = 2 x CPUs + 1, access log on stdout."""
        if self.in_process:
            yield from self._thread_server(app_spec, env)
            return
        port = free_port()
        cmd = [str(BIN / "gunicorn"), "-w", str(workers or self.workers), "-b",
               f"{HOST}:{port}", "--access-logfile", "-", app_spec]
        with self.log(label) as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_http(f"http://{HOST}:{port}/", proc)
            yield Server(proc, port)
        finally:
            stop(proc, sig=signal.SIGINT)  # gunicorn's quick shutdown

    @contextlib.contextmanager
    def celery_worker(self, app_module, env, label, concurrency=None, ready_app=None):
        """`make worker`: celery -A celery_worker worker (prefork, CPUs processes).
        With ``ready_app`` (a Celery app on the same broker), wait until it answers a ping."""
        if self.in_process:
            yield None
            return
        cmd = [str(BIN / "celery"), "-A", app_module, "worker", "--loglevel=warning",
               "-n", f"{label}-{self.token}@%h"]
        if concurrency:
            cmd += ["--concurrency", str(concurrency)]
        with self.log(label) as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            if ready_app is not None:
                node = f"{label}-{self.token}@{socket.gethostname()}"
                deadline = time.monotonic() + 120
                while not ready_app.control.ping(destination=[node], timeout=0.5):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"Celery worker {node} did not start")
            yield proc
        finally:
            stop(proc, sig=signal.SIGQUIT, timeout=15)  # cold: the measurement is over


class Servers(list):
    """The gunicorn instances of a product run, and its Celery worker processes."""

    def __init__(self):
        super().__init__()
        self.celery_procs = []


class Server:
    def __init__(self, proc, port):
        self.proc, self.port = proc, port

    def worker_pids(self):
        if self.proc is None:   # served in-process
            return [os.getpid()]
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in path.read_text().split()]
        return []


def rss_mb(pid):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_http(url, proc, timeout=60):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see bench logs")
        try:
            with opener.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def stop(proc, sig=signal.SIGTERM, timeout=15):
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


@contextlib.contextmanager
def product(env, db_url, label, *, instances=1, celery=True):
    """The product as `make serve` + `make worker` run it: ``instances`` gunicorn
    instances and as many Celery workers, sharing one PostgreSQL and one Redis. Yields
    the list of gunicorn Servers (its ``celery_procs`` are the Celery workers)."""
    with contextlib.ExitStack() as stack:
        servers = Servers()
        stopped = {}
        stack.callback(lambda: print(f"bench:   {label}: stop the product: "
                                     f"{time.monotonic() - stopped['at']:.1f} s", flush=True))
        t0 = time.monotonic()
        for i in range(instances):
            if celery:
                servers.celery_procs.append(stack.enter_context(env.celery_worker(
                    "celery_worker", env.product_env(db_url), f"{label}-worker{i + 1}")))
            servers.append(stack.enter_context(env.gunicorn(
                "marketplace:create_app()", env.product_env(db_url), f"{label}-web{i + 1}")))
        print(f"bench:   {label}: start the product: {time.monotonic() - t0:.1f} s", flush=True)
        stack.callback(lambda: stopped.setdefault("at", time.monotonic()))
        yield servers


def flask_cli(app, *args):
    """Run a product `flask` command (e.g. ledger verify) in-process on the benchmark's
    database; returns (exit code, output)."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, (result.output or "").strip()


@contextlib.contextmanager
def step(label):
    """Print how long a phase took (setup, ceilings, load, checks)."""
    t0 = time.monotonic()
    yield
    print(f"bench:   {label}: {time.monotonic() - t0:.1f} s", flush=True)
