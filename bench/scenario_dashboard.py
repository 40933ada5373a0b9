"""Scenario 4, the turnover dashboard at 1,000,000 registered contracts: the full page
for a year and a district (rendered in-process by the product app, a supervisor signed
in) against the raw SQL aggregates it needs (marketplace.turnover.dashboard.stats
.reference_statements, run directly on the same connection pool), and the number of SQL
statements the page issues.

Goals: page time <= 1.5 x the raw aggregates; fewer than 10 statements."""
import random
import time
from datetime import date

from sqlalchemy import event, select

from bench import data
from bench.env import step
from bench.report import Figure

REPEATS = 5
TYPES = ("development", "transfer", "licensing", "consulting", "service")
FIELDS = ("electronics", "new_materials", "biomedicine", "advanced_manufacturing",
          "energy", "agriculture", "information")


def missing():
    try:
        from marketplace.turnover.dashboard import stats  # noqa: F401
        from marketplace.turnover.dashboard.views import bp  # noqa: F401
        return None if hasattr(stats, "reference_statements") else \
            "marketplace.turnover.dashboard.stats.reference_statements is missing"
    except ImportError as exc:
        return f"the dashboard is not there yet ({exc})"


def copy_registrations(app, n):
    """``n`` confirmed original registrations over three years, 14 districts, COPY'd."""
    from marketplace.accounts.models import District
    from marketplace.extensions import db
    rng = random.Random(4)
    with app.app_context():
        districts = db.session.execute(select(District.id)).scalars().all()
        sellers = [f"基准技术转移机构{i}" for i in range(500)]
        this_year = date.today().year
        raw = db.session.connection().connection.driver_connection
        columns = ("contract_number", "sequence", "kind", "source", "status",
                   "contract_type", "contract_amount_fen", "technical_amount_fen",
                   "buyer_name", "seller_name", "seller_district_id", "seller_in_city",
                   "field_code", "signed_on", "registered_on", "registered_year",
                   "registered_month", "voucher_funded", "created_dt")
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY contract_registrations ({', '.join(columns)}) "
                             "FROM STDIN") as copy:
                for i in range(n):
                    year = this_year - (i % 3)
                    month = 1 + (i // 3) % 12
                    day = date(year, month, 1 + i % 28)
                    amount = rng.randrange(10_000_00, 5_000_000_00, 100)
                    copy.write_row((f"BENCH-{i:08d}", 0, "original", "import", "confirmed",
                                    TYPES[i % 5], amount, amount * 4 // 5, f"企业{i % 5000}",
                                    sellers[i % 500], districts[i % len(districts)],
                                    i % 9 != 0, FIELDS[i % 7], day, day, year, month,
                                    i % 4 == 0, "2026-01-01 00:00:00+00"))
        raw.commit()
        db.session.execute(db.text("ANALYZE contract_registrations"))
        db.session.commit()
        db.session.remove()
        return districts[0]


def run(env, size, *, instances=1, profile_dir=None):
    from marketplace.extensions import db
    from marketplace.turnover.dashboard import stats

    n = size["dashboard_contracts"]
    with env.database("dashboard") as url:
        app = env.app(url)
        with step(f"setup: COPY {n:,} registrations"):
            district = copy_registrations(app, n)
            with app.app_context():
                supervisor, _ = data.staff("supervisor")
                user_id = supervisor.get_id()
                db.session.commit()
                db.session.remove()
        year = date.today().year
        path = f"/turnover/dashboard?year={year}&district={district}"
        with app.app_context():
            filters = stats.Filters.of(year, district)
            statements = stats.reference_statements(filters, db.engine.dialect.name)
            raw = []
            for _ in range(REPEATS + 1):
                t0 = time.perf_counter()
                for statement in statements:
                    db.session.execute(statement).all()
                raw.append(time.perf_counter() - t0)
                db.session.rollback()
            db.session.remove()
            engine = db.engine
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        seen = []
        page = []
        for i in range(REPEATS + 1):
            counted = []
            listener = lambda *args: counted.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            t0 = time.perf_counter()
            response = client.get(path)
            page.append(time.perf_counter() - t0)
            event.remove(engine, "before_cursor_execute", listener)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            seen.append(len(counted))
        text = None
        if profile_dir:
            from bench import profiling
            from bench.load import Request
            text = profiling.top_lines(profiling.profile_requests(
                _signed_in(app, user_id), [Request("GET", path)] * 3,
                f"{profile_dir}/dashboard.txt"))
    page_s, raw_s = min(page[1:]), min(raw[1:])
    notes = {"registrations": n, "page_ms_all": [round(p * 1000, 1) for p in page],
             "raw_ms_all": [round(r * 1000, 1) for r in raw], "path": path}
    if text:
        notes["profile"] = text
    return [
        Figure("4 dashboard", f"page time at {n:,} registrations", page_s * 1000, "ms",
               "ms of the raw SQL aggregates", raw_s * 1000, "<= 1.5", notes=notes),
        Figure("4 dashboard", "SQL statements of the page", seen[-1], "statements",
               goal="< 10", notes={"per_request": seen}),
    ]


class _signed_in:
    """The app with a test client whose session is signed in (for the profiler)."""
    def __init__(self, app, user_id):
        self.app, self.user_id = app, user_id

    def test_client(self):
        client = self.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = self.user_id, True
        return client


