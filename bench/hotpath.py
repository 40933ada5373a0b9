"""The web part of the write hot paths, in-process: CPU milliseconds and SQL statements per
voucher application and per contract signature, served by the product app (production
settings) through Flask's test client against the bench's own PostgreSQL database.

Process CPU time and statement counts hold on a machine shared with other work, where
requests per second do not; this is what issue 23's "web CPU per application / per
signature" goals are read from. The outbox's messages go to the run's own Redis queue
(purged afterwards) as gunicorn would send them; no worker consumes them.

    .venv/bin/python -m bench.hotpath --applications 300 --signatures 200 \
        --hot-signatures 200
    .venv/bin/python -m bench.hotpath --applications 100 --profile /tmp/app.prof
"""
import argparse
import contextlib
import cProfile
import pstats
import time
from collections import Counter

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from bench import load, scenario_catalogue, scenario_reservations, scenario_rush
from bench.env import BenchEnv, step, workers_default


class StatementCount:
    """Statements the engine sends, by their first words, while active; and those that
    were compiled again (SQLAlchemy's compiled cache missed or could not be used), each
    costing a few milliseconds of Python."""

    def __init__(self, engine):
        self.engine, self.total, self.kinds, self.compiled = engine, 0, Counter(), Counter()

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.total += 1
        kind = " ".join(statement.split()[:3])[:60]
        self.kinds[kind] += 1
        hit = getattr(context, "cache_hit", None)
        if hit is not None and hit is not CacheStats.CACHE_HIT:
            self.compiled[f"{kind} ({hit.name})"] += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def measure(app, requests, *, expect, warm=20, profile=None):
    """CPU ms and statements per request over ``requests`` (bench.load.Request), after
    ``warm`` of them have filled the caches (compiled statements, pools, models)."""
    from marketplace.extensions import db

    client = app.test_client()

    def send(request):
        response = client.open(request.path, method=request.method,
                               headers=request.headers, data=request.body)
        assert response.status_code == expect, (response.status_code, response.data[:300])

    for request in requests[:warm]:
        send(request)
    counted = requests[warm:]
    with app.app_context():
        engine = db.engine
    profiler = cProfile.Profile(time.process_time) if profile else None
    with StatementCount(engine) as statements:
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for request in counted:
            send(request)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    n = len(counted)
    return {"requests": n, "cpu_ms": round(1000 * cpu / n, 2),
            "wall_ms": round(1000 * wall / n, 2),
            "statements": round(statements.total / n, 2),
            "by_kind": {k: round(v / n, 2) for k, v in statements.kinds.most_common()},
            "compiled_per_request": {k: round(v / n, 2)
                                     for k, v in statements.compiled.most_common()}}


def worker_part(app, profile=None):
    """CPU ms and statements per message of what the requests left in the outbox, handled
    as a Celery worker handles them (each message's handler, then its follow-ups in the
    same worker), minus the broker's delivery. The audit sealer's runs are counted too."""
    from sqlalchemy import select

    from marketplace.core import outbox
    from marketplace.core.tasks import process_outbox_message
    from marketplace.extensions import db

    with app.app_context():
        pending = db.session.execute(select(outbox.OutboxMessage.id, outbox.OutboxMessage.topic)
                                     .where(outbox.OutboxMessage.processed_dt.is_(None))
                                     .order_by(outbox.OutboxMessage.id)).all()
        db.session.remove()
        engine = db.engine
    topics = Counter(topic for _id, topic in pending)
    profiler = cProfile.Profile(time.process_time) if profile else None
    with StatementCount(engine) as statements:
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        for message_id, _topic in pending:
            with app.app_context():
                try:
                    outbox.process_message(message_id)
                    outbox.continue_in_worker(process_outbox_message)
                finally:
                    db.session.remove()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
    if profiler:
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    n = len(pending)
    if not n:
        return {"messages": 0, "cpu_ms_total": 0.0, "statements": statements.total}
    return {"messages": n, "topics": dict(topics), "cpu_ms_per_message": round(1000 * cpu / n, 2),
            "cpu_ms_total": round(1000 * cpu, 1), "statements": statements.total,
            "by_kind": {k: v for k, v in statements.kinds.most_common(12)}}


def _web_and_worker(app, requests, expect, item, profile, worker):
    """The requests' web part and, with ``worker``, the part of the messages they left."""
    if worker:
        worker_part(app)   # the setup's own messages (admissions, orders), not counted
    figures = measure(app, requests, expect=expect, profile=profile)
    if worker:
        figures["worker"] = worker_part(app, profile and profile + ".worker")
        figures["worker"][f"cpu_ms_per_{item}"] = round(
            figures["worker"]["cpu_ms_total"] / len(requests), 2)
    return figures


def applications(env, n, profile=None, worker=False):
    with env.database("hotpath_rush") as url:
        with step(f"setup: {n} firms with tokens, a programme"):
            app, programme_id, members, _auditor = scenario_rush.setup(env, url, n)
        requests = [scenario_rush.application(programme_id, token)
                    for _org, _uid, token in members]
        return _web_and_worker(app, requests, 201, "application", profile, worker)


def signatures(env, n, profile=None, hot=False, worker=False):
    """Spread: each of ``n`` firms signs once with its own token (none remembered). Hot:
    one firm signs ``n`` orders on one voucher with one token (remembered after the first),
    all of them fundable."""
    with env.database("hotpath_hot" if hot else "hotpath_sign") as url:
        with step(f"setup: {n} quoted orders, {'one voucher' if hot else 'a voucher each'}"):
            app, spread, hot_orders, _fit = scenario_reservations.setup(
                env, url, 0 if hot else n, n * 6 // 5 if hot else 0)
        items = hot_orders[:n] if hot else spread
        requests = [scenario_reservations.signature(*item) for item in items]
        return _web_and_worker(app, requests, 200, "signature", profile, worker)


def reads(env, n, agencies=1000, offerings=10000, profile=None):
    """The catalogue's reads that miss every cache, as an anonymous visitor: ``n`` agency
    pages each visited for the first time, and ``n`` searches through the API."""
    with env.database("hotpath_reads") as url:
        with step(f"setup: {agencies} agencies, {offerings} offerings"):
            app, agency_ids, _district = scenario_catalogue.setup(env, url, agencies,
                                                                  offerings)
        first_visits = [load.Request("GET", f"/agencies/{a}") for a in agency_ids[:n + 20]]
        search = load.Request("GET", "/api/v1/offerings?q=%E6%A3%80%E6%B5%8B&per_page=20")
        return {"agency page, first visit": measure(
                    app, first_visits, expect=200, profile=profile and profile + ".agency"),
                "API search": measure(app, [search] * (n + 20), expect=200,
                                      profile=profile and profile + ".search")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--signatures", type=int, default=0)
    parser.add_argument("--hot-signatures", type=int, default=0,
                        help="signatures by one firm on one voucher with one token")
    parser.add_argument("--worker", action="store_true",
                        help="also handle the applications' outbox messages as a worker "
                             "would, in-process, and measure that")
    parser.add_argument("--reads", type=int, default=0,
                        help="agency pages on a first visit and API searches, each")
    parser.add_argument("--profile", help="cProfile the measured requests into this file "
                                          "(.app/.sign appended) and print the top")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        env = BenchEnv(stack, "small", 1, workers_default(), "/tmp/hc-bench-logs")
        results = {}
        if args.applications:
            results["application"] = applications(
                env, args.applications, args.profile and args.profile + ".app",
                worker=args.worker)
        if args.signatures:
            results["signature"] = signatures(
                env, args.signatures, args.profile and args.profile + ".sign",
                worker=args.worker)
        if args.hot_signatures:
            results["signature, hot"] = signatures(
                env, args.hot_signatures, args.profile and args.profile + ".hot", hot=True)
        if args.reads:
            results.update(reads(env, args.reads, profile=args.profile))
    for name, figures in results.items():
        print(f"{name}: {figures}")
    return results


if __name__ == "__main__":
    main()
