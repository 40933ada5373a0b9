"""The catalogue search's own cost, apart from the load: on a bench-sized catalogue, the
SQL statements one API search sends (each under EXPLAIN ANALYZE: planning and execution
time, the median of several runs) and the CPU the web process spends per API request
(in-process, through the test client: no gunicorn, no load driver).

A loaded machine moves throughput figures by ±30%; these move much less, so they say
what a change to the search itself bought. Run it on two checkouts to compare:

    .venv/bin/python -m bench.explain_catalogue --size small
"""
import argparse
import contextlib
import statistics
import time

from sqlalchemy import event

from bench.env import BenchEnv, step, workers_default
from bench.run import SIZES
from bench.scenario_catalogue import QUERY, setup

REQUEST = f"/api/v1/offerings?q={QUERY}&per_page=20"


def _statements(app, client):
    """The SQL statements (with their parameters) one API search sends."""
    from marketplace.extensions import db

    sent = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(REQUEST).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return [s for s in sent if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]


def _explain(app, statement, parameters, runs):
    """Median planning and execution milliseconds of ``statement`` over ``runs``."""
    from marketplace.extensions import db

    planning, execution = [], []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for _ in range(runs):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]
                planning.append(plan["Planning Time"])
                execution.append(plan["Execution Time"])
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            text = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            raw.close()
    return statistics.median(planning), statistics.median(execution), text


def _cpu_per_request(client, requests):
    for _ in range(20):                                  # warm the caches
        client.get(REQUEST)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(requests):
        client.get(REQUEST)
    return (1000 * (time.process_time() - cpu0) / requests,
            1000 * (time.perf_counter() - wall0) / requests)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--plans", action="store_true", help="print the plans")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    with contextlib.ExitStack() as stack:
        env = BenchEnv(stack, args.size, 1, workers_default(), "/tmp/hc-bench-logs")
        with env.database("explain") as url:
            with step(f"setup: {size['catalogue_agencies']} agencies, "
                      f"{size['catalogue_offerings']} offerings"):
                app, _agencies, _district = setup(env, url, size["catalogue_agencies"],
                                                  size["catalogue_offerings"])
            client = app.test_client()
            statements = _statements(app, client)
            print(f"{REQUEST}: {len(statements)} SELECT statements")
            total = 0.0
            for number, (statement, parameters) in enumerate(statements, 1):
                planning, execution, plan = _explain(app, statement, parameters, args.runs)
                total += planning + execution
                print(f"statement {number}: planning {planning:.2f} ms, execution "
                      f"{execution:.2f} ms (medians of {args.runs})")
                print("  " + " ".join(statement.split())[:300])
                if args.plans:
                    print(plan)
            print(f"SQL in all: {total:.2f} ms")
            cpu, wall = _cpu_per_request(client, args.requests)
            print(f"web process per API request (in-process, {args.requests} requests): "
                  f"CPU {cpu:.2f} ms, wall {wall:.2f} ms")
            with app.app_context():
                from marketplace.extensions import db
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
