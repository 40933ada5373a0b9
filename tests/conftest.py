"""Fixtures backed by real services.

`make test` (scripts/run_tests.py) provides a throwaway PostgreSQL database and a Redis
server through TEST_DATABASE_URL and TEST_REDIS_URL. Run bare, pytest falls back to a
SQLite file and skips what needs PostgreSQL or Redis, saying so.
"""
import os
import tempfile

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

os.environ.setdefault("MARKETPLACE_CONFIG", "testing")


def _take_this_workers_services():
    """Under pytest-xdist (scripts/run_tests.py with HC_TEST_WORKERS > 1) each worker
    process gets its own database and localstripe (the runner lists one per worker) and its
    own Celery queue and rate-limit keys, so tests in two workers never meet. Set before
    anything reads the environment: the app, the Celery workers and the servers the
    tests start all take it from here."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    index = int(worker.removeprefix("gw"))
    databases = [u for u in os.environ.get("TEST_DATABASE_URLS", "").split(",") if u]
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") and \
            len(databases) <= index:
        raise RuntimeError("pytest -n needs one database per worker: run the tests with "
                           "HC_TEST_WORKERS=N scripts/run_tests.py, which makes them")
    if databases:
        os.environ["TEST_DATABASE_URL"] = os.environ["DATABASE_URL"] = databases[index]
    stripes = [u for u in os.environ.get("TEST_STRIPE_API_BASES", "").split(",") if u]
    if len(stripes) > index:
        os.environ["TEST_STRIPE_API_BASE"] = stripes[index]
    os.environ["CELERY_QUEUE"] = f"{os.environ.get('CELERY_QUEUE', 'hc-test')}-{worker}"


_take_this_workers_services()

_SQLITE_FALLBACK = None
if not os.environ.get("TEST_DATABASE_URL"):
    _SQLITE_FALLBACK = tempfile.NamedTemporaryFile(prefix="hc-test-", suffix=".db",
                                                   delete=False).name
    os.environ["TEST_DATABASE_URL"] = f"sqlite:///{_SQLITE_FALLBACK}"


def pytest_report_header(config):
    url = os.environ["TEST_DATABASE_URL"]
    where = "SQLite fallback (PostgreSQL tests skipped; use `make test`)" \
        if url.startswith("sqlite") else url.split("@")[-1]
    redis_url = os.environ.get("TEST_REDIS_URL") or "none (Redis tests skipped)"
    stripe_url = os.environ.get("TEST_STRIPE_API_BASE") or "none (payment tests skipped)"
    return [f"database: {where}", f"redis: {redis_url}", f"localstripe: {stripe_url}"]


# Tests that start browsers or whole stacks of servers are meant to run one after another
# in one worker (pytest-xdist --dist loadgroup): two at once on a 2-core machine only slow
# each other. pytest-xdist 3.8 does not honour the groups under pytest 9 (it renames the
# test ids through an attribute pytest 9 no longer reads), so today they share the two
# workers with everything else; the tests are written to pass either way.
_SERIAL_GROUPS = {"e2e": "browser", "reliability": "servers"}



@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    on_postgres = not os.environ["TEST_DATABASE_URL"].startswith("sqlite")
    has_redis = bool(os.environ.get("TEST_REDIS_URL"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: run `make test`")
    skip_redis = pytest.mark.skip(reason="needs Redis: run `make test`")
    has_stripe = bool(os.environ.get("TEST_STRIPE_API_BASE"))
    skip_stripe = pytest.mark.skip(reason="needs localstripe (TEST_STRIPE_API_BASE): run "
                                          "`make test`, which starts one")
    for item in items:
        folder = item.nodeid.split("/")[1] if item.nodeid.count("/") > 1 else ""
        if folder in _SERIAL_GROUPS:
            item.add_marker(pytest.mark.xdist_group(_SERIAL_GROUPS[folder]))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if ("redis" in item.keywords or "worker" in item.keywords) and not has_redis:
            item.add_marker(skip_redis)
        if "stripe" in item.keywords and not has_stripe:
            item.add_marker(skip_stripe)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The tests keep an app context pushed for their own database work; without this,
    requests would reuse it and share ``g`` (the signed-in user!) and the session.
    """

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from marketplace import create_app

    from tests.support import answers

    application = create_app("testing")
    application.test_client_class = IsolatedClient
    answers.install(application)   # every API answer against the document's schema
    application.config["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="hc-uploads-")
    with application.app_context():
        upgrade()  # the schema is only ever made by the migrations, here too
        _reset_database(application)
    yield application
    if _SQLITE_FALLBACK:
        os.unlink(_SQLITE_FALLBACK)


@pytest.fixture(autouse=True)
def _fresh_database(request, app):
    """Every test starts from an empty database with the reference data, and leaves an
    intact audit chain behind, every record of it sealable."""
    ctx = app.app_context()
    ctx.push()
    yield
    from marketplace.core.audit import check_chain
    from marketplace.core.audit_seal import seal
    from marketplace.extensions import db

    db.session.rollback()
    try:
        if "tamper" not in request.keywords:
            # every record the test wrote is sealed, once, into a sound chain
            _seal_everything(seal)
            assert check_chain().unsealed == 0, "audit records left unsealed"
            if _checks_ledger(request):
                _verify_ledger()
                _verify_search_table()
    finally:   # a broken invariant fails this test, not the ones after it
        db.session.remove()
        _reset_database(app)
        ctx.pop()


def _seal_everything(seal, patience=10.0):
    """Seal until nothing is left: a test's Celery worker may hold the sealer's lease, or a
    transaction of its may still be in flight, for a moment after the test."""
    import time

    from marketplace.core.audit import count_unsealed
    from marketplace.extensions import db

    deadline = time.monotonic() + patience
    while count_unsealed():    # most tests write no record: nothing to take the lease for
        seal()
        if not count_unsealed() or time.monotonic() > deadline:
            return
        db.session.rollback()
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _one_celery_app(app):
    """A test that made an app of its own and left its Celery app the default fails here
    (the tests after it would run their tasks in that app, without their settings: mails
    that never reach the test's SMTP server); the session's app is put back either way.
    Use the ``isolated_globals`` fixture (tests/support/apps.py)."""
    from celery import _state

    yield
    ours = app.extensions["celery"]
    left = _state.default_app
    if left is not ours:
        ours.set_current()
        ours.set_default()
        pytest.fail("the test left another app's Celery as the default: use the "
                    "isolated_globals fixture when creating apps")


@pytest.fixture(autouse=True)
def _answers_match_the_document():
    """A test fails when an API answer it received is not what the OpenAPI document
    declares for that operation and status (tests/support/answers.py)."""
    from tests.support import answers

    answers.MISMATCHES.clear()
    yield
    found, answers.MISMATCHES[:] = list(answers.MISMATCHES), []
    assert not found, "API answers that differ from the document:\n" + "\n".join(
        f"  {name} {status}: {message}" for name, status, message in found)


LEDGER_CHECKS = {"run": 0, "full": 0, "seconds": 0.0}


def _checks_ledger(request):
    """Every test but the unit tests (which keep no money) leaves a sound ledger."""
    return "unit" not in request.node.path.relative_to(
        request.config.rootpath).parts[:2]


def _verify_ledger():
    """The ledger's invariants (`flask ledger verify`): a broken one fails the test."""
    import time

    from marketplace.core.ledger import violations

    started = time.perf_counter()
    found = violations() if _holds_money() else []
    LEDGER_CHECKS["run"] += 1
    LEDGER_CHECKS["seconds"] += time.perf_counter() - started
    assert not found, "ledger invariants broken after the test:\n" + "\n".join(found)


def _verify_search_table():
    """The catalogue's search table says exactly what the offerings say (it is kept by
    session events, marketplace/catalogue/search_table.py): a change that escaped them
    fails the test that made it."""
    from marketplace.catalogue.search_table import differences
    from marketplace.extensions import db

    if db.session.execute(_HAS_OFFERINGS).scalar():
        found = differences(db.session)
        assert not found, "the search table differs from the offerings after the test:\n" \
            + "\n".join(found)


_HAS_OFFERINGS = text("SELECT EXISTS (SELECT 1 FROM offerings)")
_HOLDS_MONEY = text("SELECT EXISTS (SELECT 1 FROM ledger_accounts) "
                    "OR EXISTS (SELECT 1 FROM ledger_transactions) "
                    "OR EXISTS (SELECT 1 FROM programmes) OR EXISTS (SELECT 1 FROM vouchers)")


def _holds_money():
    """Whether there is anything for the invariants to check: each of them reads these
    tables (an invariant over empty tables holds). Most tests keep no money, and this one
    query costs far less than building the invariants' ten."""
    from marketplace.extensions import db

    held = bool(db.session.execute(_HOLDS_MONEY).scalar())
    LEDGER_CHECKS["full"] += held
    return held


def pytest_terminal_summary(terminalreporter):
    from tests.support import answers

    if answers.CHECKED:
        declared = {op.endpoint for op in answers.OPERATIONS}
        missed = sorted(declared - answers.operations_checked())
        terminalreporter.write_line(
            f"API answers checked against the document: {sum(answers.CHECKED.values())} "
            f"({len(declared) - len(missed)} of {len(declared)} operations"
            + (f"; not reached: {', '.join(missed)})" if len(missed) <= 10 else ")"))
    if LEDGER_CHECKS["run"]:
        terminalreporter.write_line(
            f"ledger invariants checked after {LEDGER_CHECKS['run']} tests "
            f"({LEDGER_CHECKS['full']} holding money) in {LEDGER_CHECKS['seconds']:.2f}s")


def _reset_database(app):
    from marketplace.accounts.reference import seed_reference_data
    from marketplace.core import outbox
    from marketplace.extensions import db
    from marketplace.workdays import calendar

    on_postgres = db.engine.dialect.name == "postgresql"
    if on_postgres:
        with db.engine.begin() as connection:
            _empty_postgres_tables(connection, db.metadata.sorted_tables)
    else:
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(text(f'DELETE FROM "{table.name}"'))
    outbox._committed_ids.set(None)
    # the tables were emptied by SQL no flush hook sees, and ids restart: nothing the
    # process remembers of tokens, users or firms stands
    app.extensions["api_token_cache"].bump()
    seed_reference_data()
    db.session.commit()
    db.session.remove()
    # the reference rows may have stayed (they are not seeded again), so nothing forgets
    # the calendar this process keeps: every test starts from a cold one, as in a new process
    calendar.forget()
    if on_postgres and "reference" not in _POSTGRES_RESET:
        with db.engine.begin() as connection:
            _remember_reference_rows(connection, db.metadata.sorted_tables)


_POSTGRES_RESET = {}


def _empty_postgres_tables(connection, tables):
    """Empty the tables a test wrote to and restart their id sequences.

    A TRUNCATE of all ~55 tables costs 80–170 ms (new files for every table), which over
    1,300 tests was minutes of the suite; most tests touch a handful of tables, and a
    DELETE of a few small tables costs about a millisecond each. The ledger's tables refuse
    DELETE by trigger, so the deletes run with triggers (and with them the foreign-key
    checks, hence any order) switched off for this transaction, which needs a superuser;
    without one, the written tables are truncated instead."""
    if not _POSTGRES_RESET:
        _POSTGRES_RESET["any_rows"] = text(" UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables))
        _POSTGRES_RESET["superuser"] = connection.execute(text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        _POSTGRES_RESET["sequences"] = dict(connection.execute(text(
            "SELECT t.relname, array_agg(s.oid::regclass::text) FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE d.deptype IN ('a', 'i') GROUP BY t.relname")).all())
    written = set(connection.execute(_POSTGRES_RESET["any_rows"]).scalars())
    written -= _unchanged_reference_tables(connection)
    if not written:
        return
    if _POSTGRES_RESET["superuser"]:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            if table.name in written:
                connection.execute(text(f'DELETE FROM "{table.name}"'))
        connection.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    else:
        connection.execute(text("TRUNCATE {} CASCADE".format(
            ", ".join(f'"{name}"' for name in sorted(written)))))
    sequences = [s for name in written for s in _POSTGRES_RESET["sequences"].get(name, ())]
    if sequences:
        connection.execute(text("SELECT setval(CAST(name AS regclass), 1, false) "
                                "FROM unnest(CAST(:names AS text[])) AS name"),
                           {"names": sequences})


def _reference_fingerprints(connection, names):
    """{table: md5 of all its rows}: one statement over the reference tables."""
    if not names:
        return {}
    return dict(connection.execute(text(" UNION ALL ".join(
        f"SELECT '{name}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f'FROM "{name}" t' for name in sorted(names)))).all())


def _remember_reference_rows(connection, tables):
    """After the first seeding of an empty database: which tables the reference seeders
    fill, and what they hold then."""
    seeded = set(connection.execute(_POSTGRES_RESET["any_rows"]).scalars())
    _POSTGRES_RESET["reference"] = _reference_fingerprints(connection, seeded)


def _unchanged_reference_tables(connection):
    """Reference tables (districts, categories, fields, the calendar) still exactly as
    seeded. Emptying and re-seeding them through the ORM was ~70 ms of every test, and
    most tests only read them; one a test changed is emptied and seeded again."""
    seeded = _POSTGRES_RESET.get("reference")
    if not seeded:
        return set()
    now = _reference_fingerprints(connection, seeded)
    return {name for name, fingerprint in seeded.items() if now.get(name) == fingerprint}


@pytest.fixture
def db_session(app):
    from marketplace.extensions import db
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auditor(app):
    """An auditor who reads the pages and mails in English, committed so the pages, the
    API and other sessions see them. (A test needing more of its auditor defines its own.)"""
    from marketplace.accounts.models import Role
    from marketplace.extensions import db
    from tests.factories import UserFactory

    user = UserFactory(role=Role.AUDITOR, locale="en")
    db.session.commit()
    return user


@pytest.fixture
def isolated_globals(app):
    """For a test that creates apps of its own (tests/support/apps.py)."""
    from tests.support.apps import process_globals_kept

    with process_globals_kept(app):
        yield


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched on, for tests of it."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def limited_app(app):
    """Rate limits on (memory storage is reset before and after)."""
    from marketplace.extensions import limiter
    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    limiter.reset()
    yield app
    limiter.reset()
    limiter.enabled = False
    app.config["RATELIMIT_ENABLED"] = False


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    from tests.support.smtp import RecordingSMTPServer

    server = RecordingSMTPServer()
    server.start()
    old = (app.config.get("MAIL_SERVER"), app.config.get("MAIL_PORT"))
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", server.port
    yield server
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old
    server.stop()


@pytest.fixture
def stripe_server(app):
    """The run's own localstripe, emptied before the test; app.config points at it."""
    from tests.support.stripe import LocalStripe

    base = os.environ.get("TEST_STRIPE_API_BASE")
    if not base:
        pytest.skip("needs localstripe (TEST_STRIPE_API_BASE): run `make test`")
    server = LocalStripe(base, secret_key=app.config["STRIPE_SECRET_KEY"],
                         webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"])
    server.reset()
    old = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = base
    yield server
    app.config["STRIPE_API_BASE"] = old


def login(client, email, password="password123"):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, "login failed for " + email
    return response
