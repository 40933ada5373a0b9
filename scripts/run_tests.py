#!/usr/bin/env python3
"""Run pytest against a throwaway PostgreSQL database, an isolated Redis queue and a
private localstripe.

Usage: .venv/bin/python scripts/run_tests.py [pytest args...]   (default: tests -q --durations=60)

Workers: HC_TEST_WORKERS=N runs the tests in N pytest-xdist processes, each with its own
database, localstripe and Celery queue (tests/conftest.py picks them). The default is one
process, except for the whole suite (no arguments), which uses one per CPU, at most
HC_TEST_MAX_WORKERS (2).

PostgreSQL: DATABASE_URL, else 127.0.0.1:$HC_TEST_PG_PORT (5432) as postgres then root, else
a throwaway cluster (initdb/pg_ctl). Redis: REDIS_URL, else 127.0.0.1:$HC_TEST_REDIS_PORT
(6379), else a throwaway redis-server. localstripe: always a throwaway one on a free
127.0.0.1 port with its state in memory (scripts/localstripe_server.py), exported as
TEST_STRIPE_API_BASE; if it cannot start, the run goes on and the payment tests skip.
Database hc_test_<hex> is always dropped; throwaway servers are always stopped and deleted.
Exits with pytest's code (5, no tests, becomes 1), or 2 when PostgreSQL/Redis, the CJK font
(fonts-noto-cjk) or poppler-utils is missing.
free_port, find_postgres, find_redis, throwaway_database, throwaway_localstripe are
importable (e.g. by bench/).
"""
import contextlib
import glob
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

try:
    import psycopg
    from psycopg import sql
    import redis
except ImportError as exc:  # pragma: no cover
    sys.exit(f"run_tests: {exc}. Run with the project venv: .venv/bin/python {sys.argv[0]}")

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class SetupError(RuntimeError):
    """PostgreSQL, Redis or a system package is unavailable; the message says what to
    install."""


@dataclass
class Server:
    url: str            # PostgreSQL: maintenance-db URL; Redis: redis:// URL
    description: str    # for the status line, without passwords
    throwaway: bool = False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def with_database(url, dbname):
    """Return ``url`` with its database (path) replaced by ``dbname``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname)))


def redact(url):
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _tail(path, lines=20):
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


# --- PostgreSQL -------------------------------------------------------------------------

def pg_can_connect(url):
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def _postgres_from_env(url):
    for scheme in ("postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(scheme):
            url = "postgresql://" + url[len(scheme):]
    admin = with_database(url, "postgres")
    if not pg_can_connect(admin):
        admin = url  # no access to the maintenance db: create databases from the given one
        if not pg_can_connect(admin):
            raise SetupError(f"Cannot connect to DATABASE_URL={redact(url)}")
    return Server(admin, f"{redact(admin)} (from DATABASE_URL)")


def find_pg_bindir():
    """Directory holding initdb and pg_ctl: newest /usr/lib/postgresql/*/bin, then PATH."""
    def version(path):
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, b), os.X_OK) for b in ("initdb", "pg_ctl")):
            return bindir
    return None


def _as_postgres_user(cmd):
    """Prefix ``cmd`` so it runs as the postgres system user when we are root."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(cmd)]


@contextlib.contextmanager
def throwaway_postgres(bindir):
    """Start a trusted, 127.0.0.1-only cluster on a free port; stop and delete it on exit."""
    parent = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise SetupError("PostgreSQL refuses to run as root and there is no 'postgres' "
                             "system user to run it as; create one or set DATABASE_URL.")
        if not os.stat(tempfile.gettempdir()).st_mode & 0o001:
            parent = "/tmp"  # the postgres user must be able to reach the folder
    tmp = tempfile.mkdtemp(prefix="hc-test-pg-", dir=parent)
    data, log = os.path.join(tmp, "data"), os.path.join(tmp, "postgres.log")
    run = dict(cwd=tmp, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        if os.geteuid() == 0:
            os.chown(tmp, user.pw_uid, user.pw_gid)
        locale = "C.UTF-8" if sys.platform.startswith("linux") else "en_US.UTF-8"
        initdb = [os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", f"--locale={locale}", "--no-sync"]
        out = subprocess.run(_as_postgres_user(initdb), capture_output=True, text=True, **run)
        if out.returncode:
            raise SetupError(f"initdb failed:\n{out.stdout}{out.stderr}")
        port = free_port()
        options = (f"-c listen_addresses={HOST} -p {port} -k {tmp} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        pg_ctl = os.path.join(bindir, "pg_ctl")
        start = [pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"]
        try:
            out = subprocess.run(_as_postgres_user(start), capture_output=True, text=True, **run)
            if out.returncode:
                raise SetupError(f"pg_ctl start failed:\n{out.stdout}{out.stderr}{_tail(log)}")
            version = Path(data, "PG_VERSION").read_text().strip()
            yield Server(f"postgresql://postgres@{HOST}:{port}/postgres",
                         f"postgres@{HOST}:{port} (throwaway PostgreSQL {version}, started)",
                         True)
        finally:
            stop = [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"]
            subprocess.run(_as_postgres_user(stop), capture_output=True, **run)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def find_postgres():
    """Yield a Server whose ``url`` is a superuser-ish maintenance-db URL."""
    env_url = os.environ.get("DATABASE_URL", "")
    if env_url.startswith(("postgres://", "postgresql")):
        yield _postgres_from_env(env_url)
        return
    if env_url:
        print(f"run_tests: ignoring non-PostgreSQL DATABASE_URL ({env_url.split(':')[0]}:...)")
    port = int(os.environ.get("HC_TEST_PG_PORT", "5432"))
    for user in ("postgres", "root"):
        url = f"postgresql://{user}@{HOST}:{port}/postgres"
        if pg_can_connect(url):
            yield Server(url, f"{user}@{HOST}:{port} (existing server)")
            return
    bindir = find_pg_bindir()
    if bindir is None:
        raise SetupError(
            f"No PostgreSQL server on {HOST}:{port} and no initdb/pg_ctl to start one.\n"
            "Install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; "
            "macOS: brew install postgresql),\n"
            "or set DATABASE_URL=postgresql://user:password@host:port/postgres to use a server.")
    with throwaway_postgres(bindir) as server:
        yield server


@contextlib.contextmanager
def throwaway_database(admin_url, name=None):
    """Create database ``name`` (default hc_test_<hex>), yield its URL, always drop it."""
    name = name or f"hc_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise SetupError(f"Cannot create database {name} via {redact(admin_url)}: {exc}")
    try:
        yield with_database(admin_url, name)
    finally:
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                             .format(sql.Identifier(name)))
        except psycopg.Error as exc:
            print(f"run_tests: WARNING: could not drop database {name}: {exc}", file=sys.stderr)


# --- Redis ------------------------------------------------------------------------------

def redis_ping(url):
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        with contextlib.closing(client):
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def purge_redis_keys(url, fragment):
    """Delete keys containing ``fragment`` (a run's Celery queue and kombu bindings)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        with contextlib.closing(client):
            keys = list(client.scan_iter(match=f"*{fragment}*", count=1000))
            if keys:
                client.delete(*keys)
    except redis.RedisError as exc:
        print(f"run_tests: WARNING: could not delete Redis keys *{fragment}*: {exc}",
              file=sys.stderr)


@contextlib.contextmanager
def throwaway_redis(binary):
    tmp = tempfile.mkdtemp(prefix="hc-test-redis-")
    log = os.path.join(tmp, "redis.log")
    port = free_port()
    url = f"redis://{HOST}:{port}/0"
    try:
        with open(log, "wb") as logfile:
            proc = subprocess.Popen(
                [binary, "--port", str(port), "--bind", HOST, "--save", "",
                 "--appendonly", "no", "--dir", tmp],
                stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            deadline = time.monotonic() + 15
            while not redis_ping(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SetupError(f"redis-server did not start:\n{_tail(log)}")
                time.sleep(0.1)
            yield Server(url, f"{HOST}:{port} (throwaway redis-server, started)", True)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def find_redis():
    env_url = os.environ.get("REDIS_URL")
    if env_url:
        if not redis_ping(env_url):
            raise SetupError(f"Cannot reach REDIS_URL={redact(env_url)}")
        yield Server(env_url, f"{redact(env_url)} (from REDIS_URL)")
        return
    port = int(os.environ.get("HC_TEST_REDIS_PORT", "6379"))
    url = f"redis://{HOST}:{port}/0"
    if redis_ping(url):
        yield Server(url, f"{HOST}:{port} (existing server)")
        return
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server",
                     "/opt/homebrew/bin/redis-server") if os.access(p, os.X_OK)), None)
    if binary is None:
        raise SetupError(
            f"No Redis on {HOST}:{port} and no redis-server to start one.\n"
            "Install Redis (Debian/Ubuntu: apt-get install redis-server; "
            "macOS: brew install redis),\nor set REDIS_URL=redis://host:port/0.")
    with throwaway_redis(binary) as server:
        yield server


# --- localstripe --------------------------------------------------------------------------

def _http_answers(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback
    try:
        with opener.open(url + "/js.stripe.com/v3/", timeout=1) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def throwaway_localstripe():
    """Yield the URL of a private localstripe, or None (with a warning) when it cannot
    start. Bound to 127.0.0.1, state in memory only, stopped on exit."""
    tmp = tempfile.mkdtemp(prefix="hc-test-stripe-")
    log = os.path.join(tmp, "localstripe.log")
    port = free_port()
    url = f"http://{HOST}:{port}"
    launcher = ROOT / "scripts" / "localstripe_server.py"
    proc = None
    try:
        with open(log, "wb") as logfile:
            proc = subprocess.Popen(
                [sys.executable, str(launcher), "--host", HOST, "--port", str(port)],
                cwd=tmp, stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
                start_new_session=True, env=dict(os.environ, TMPDIR=tmp))
        deadline = time.monotonic() + 20
        while not _http_answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(f"run_tests: WARNING: localstripe did not start, payment tests will "
                      f"skip:\n{_tail(log)}", file=sys.stderr)
                url = None
                break
            time.sleep(0.1)
        yield url
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


# --- pytest -----------------------------------------------------------------------------

def run_pytest(args, env):
    """Run pytest in the foreground; forward signals not already sent to its group."""
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], env=env)

    def forward(signum, _frame):
        with contextlib.suppress(OSError, AttributeError, ValueError):
            if signum == signal.SIGINT and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp():
                return  # Ctrl-C at the terminal: pytest got it too and winds down itself
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, forward) for s in signals}
    try:
        code = proc.wait()
        return 128 - code if code < 0 else code  # killed by a signal: shell convention
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def worker_count(argv):
    """How many pytest processes: HC_TEST_WORKERS, else one per CPU (at most
    HC_TEST_MAX_WORKERS) for the whole suite and one for a chosen part of it."""
    chosen = os.environ.get("HC_TEST_WORKERS", "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            raise SetupError(f"HC_TEST_WORKERS must be a whole number >= 1, not {chosen!r}")
        count = int(chosen)
    elif argv:
        count = 1
    else:
        count = min(os.cpu_count() or 1, int(os.environ.get("HC_TEST_MAX_WORKERS", "2")))
    if count > 1:
        try:
            import xdist  # noqa: F401
        except ImportError:
            print("run_tests: pytest-xdist is not installed (make setup); running in one "
                  "process", file=sys.stderr)
            return 1
    return count


def check_pdf_tools():
    """The contract PDF is set in a CJK font from a Debian package, and its tests read it
    back with poppler's tools: say what to install rather than fail test by test."""
    sys.path.insert(0, str(ROOT))
    from marketplace.core.fonts import FONT_PACKAGE, FontMissing, find_cjk_font
    missing = []
    try:
        find_cjk_font()
    except FontMissing as exc:
        missing.append((FONT_PACKAGE, str(exc)))
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        missing.append(("poppler-utils", "The contract PDF's tests read it with pdftotext "
                                          "and pdffonts (poppler-utils)."))
    if missing:
        raise SetupError("missing system packages: " + " ".join(p for p, _ in missing)
                         + "\n" + "\n".join(why for _, why in missing)
                         + "\nInstall them: apt-get install "
                         + " ".join(p for p, _ in missing) + " (.ci/run does).")


def main(argv):
    # SIGTERM/SIGHUP during setup unwind the context managers, like Ctrl-C does.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda s, f: sys.exit(128 + s))
    # The whole suite names its slowest tests: CI's time is a budget, and this is its bill.
    args = argv or [os.path.relpath(ROOT / "tests"), "-q", "--durations=60",
                    "--durations-min=3"]
    token = secrets.token_hex(4)
    try:
        check_pdf_tools()
        with contextlib.ExitStack() as stack:
            pg = stack.enter_context(find_postgres())
            rd = stack.enter_context(find_redis())
            if not rd.throwaway:  # leave a shared Redis as we found it
                stack.callback(purge_redis_keys, rd.url, f"hc-test-{token}")
            workers = worker_count(argv)
            db_urls = [stack.enter_context(throwaway_database(pg.url, f"hc_test_{token}"))]
            db_urls += [stack.enter_context(throwaway_database(pg.url, f"hc_test_{token}_{n}"))
                        for n in range(1, workers)]
            stripe_urls = [stack.enter_context(throwaway_localstripe())
                           for _ in range(workers)]
            db_url, stripe_url = db_urls[0], stripe_urls[0]
            if None in stripe_urls:
                stripe_url = None
            env = dict(os.environ,
                       TEST_DATABASE_URL=db_url, TEST_DATABASE_ADMIN_URL=pg.url,
                       TEST_REDIS_URL=rd.url, CELERY_QUEUE=f"hc-test-{token}",
                       MARKETPLACE_CONFIG="testing",
                       # Anything that falls back to the app's own settings stays isolated.
                       DATABASE_URL=db_url, REDIS_URL=rd.url,
                       PYTHONPATH=os.pathsep.join(
                           filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
            env.pop("TEST_STRIPE_API_BASE", None)  # only ever our own: the tests reset it
            env.pop("TEST_STRIPE_API_BASES", None)
            if stripe_url:
                env["TEST_STRIPE_API_BASE"] = stripe_url
            if workers > 1:
                # each xdist worker takes its own (tests/conftest.py: per-worker resources)
                env["TEST_DATABASE_URLS"] = ",".join(db_urls)
                if stripe_url:
                    env["TEST_STRIPE_API_BASES"] = ",".join(stripe_urls)
                args = ["-n", str(workers), "--dist", "loadgroup", *args]
            print(f"run_tests: PostgreSQL: {pg.description}, database hc_test_{token}"
                  f"{f' (+{workers - 1} for the other workers)' if workers > 1 else ''}; "
                  f"Redis: {rd.description}, queue hc-test-{token}; localstripe: "
                  f"{stripe_url or 'not running (payment tests skip)'}; "
                  f"{workers} pytest process{'es' if workers > 1 else ''}", flush=True)
            code = run_pytest(args, env)
    except SetupError as exc:
        print(f"run_tests: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("run_tests: interrupted; cleaned up.", file=sys.stderr)
        return 130
    if code == 5:
        print("run_tests: FAILED: pytest ran no tests (exit code 5); CI must never pass "
              "on zero tests.", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
