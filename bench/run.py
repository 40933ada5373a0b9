"""Run the benchmarks and print each figure beside its ceiling, ratio and goal.

    .venv/bin/python -m bench.run [--size tiny|small|full] [--only rush,catalogue]
                                  [--scale] [--json out.json] [--profile-dir DIR]

Sizes also come from BENCH_SIZE. Every benchmark makes its own PostgreSQL database
(cloned from a template migrated once), uses its own Celery queue and rate-limit keys on
Redis (deleted afterwards), and starts its own gunicorn and Celery processes with the
product's settings (`make serve`, `make worker`)."""
import argparse
import contextlib
import importlib
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.env import BenchEnv, workers_default  # noqa: E402

SIZES = {
    # the smoke test in `make test`: each scenario runs and produces its figures
    "tiny": dict(ceiling_seconds=0.5, rush_firms=20, reserve_vouchers=8,
                 reserve_hot_orders=8, catalogue_agencies=20, catalogue_offerings=200,
                 catalogue_requests=30, claims_orgs_small=100, claims_orgs_large=500,
                 claims_contracts=1000, claims_sample=2, claims_celery=2,
                 dashboard_contracts=2000, import_rows=500),
    "small": dict(ceiling_seconds=3, rush_firms=500, reserve_vouchers=200,
                  reserve_hot_orders=300, catalogue_agencies=200, catalogue_offerings=2000,
                  catalogue_requests=600, claims_orgs_small=1000, claims_orgs_large=10000,
                  claims_contracts=20000, claims_sample=20, claims_celery=30,
                  dashboard_contracts=50000, import_rows=10000),
    "full": dict(ceiling_seconds=5, rush_firms=5000, reserve_vouchers=1000,
                 reserve_hot_orders=600, catalogue_agencies=1000, catalogue_offerings=10000,
                 catalogue_requests=1000, claims_orgs_small=1000, claims_orgs_large=100000,
                 claims_contracts=200000, claims_sample=20, claims_celery=100,
                 dashboard_contracts=1000000, import_rows=100000),
}
SCENARIOS = ("rush", "reservations", "catalogue", "claims", "dashboard", "import")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default=os.environ.get("BENCH_SIZE", "small"),
                        choices=sorted(SIZES))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                        help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--scale", action="store_true",
                        default=os.environ.get("BENCH_SCALE", "") not in ("", "0"),
                        help="also run rush and reservations on two gunicorn instances "
                             "and two Celery workers")
    parser.add_argument("--in-process", action="store_true",
                        help="serve the apps from threads and run Celery tasks eagerly "
                             "(the smoke test: no process to boot, figures not meaningful)")
    parser.add_argument("--concurrency", type=int,
                        default=int(os.environ.get("BENCH_CONCURRENCY", 16)))
    parser.add_argument("--json", default=os.environ.get("BENCH_JSON"))
    parser.add_argument("--markdown", default=os.environ.get("BENCH_MARKDOWN"),
                        help="also write the figures as Markdown (for bench/RESULTS.md)")
    parser.add_argument("--profile-dir", default=os.environ.get("BENCH_PROFILE_DIR"))
    parser.add_argument("--log-dir", default=os.environ.get("BENCH_LOG_DIR",
                                                            "/tmp/hc-bench-logs"))
    args = parser.parse_args(argv)
    # SIGTERM/SIGHUP unwind like Ctrl-C: servers stopped, databases dropped, keys purged
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda s, f: sys.exit(128 + s))
    chosen = [s for s in (args.only.split(",") if args.only else SCENARIOS) if s]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    size = SIZES[args.size]
    if args.profile_dir:
        Path(args.profile_dir).mkdir(parents=True, exist_ok=True)
    figures, skipped, started = [], {}, time.monotonic()
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "size": args.size, "concurrency": args.concurrency, "machine": report.machine(),
            "command": " ".join(sys.argv)}
    with contextlib.ExitStack() as stack:
        env = BenchEnv(stack, args.size, args.concurrency, workers_default(), args.log_dir)
        env.in_process = args.in_process
        meta["workers"] = env.workers
        meta["in_process"] = args.in_process
        print(f"bench: size {args.size}, {env.workers} gunicorn workers, concurrency "
              f"{env.concurrency}; PostgreSQL {env.pg.description}; Redis "
              f"{env.rd.description}, queue {env.queue}; logs in {args.log_dir}", flush=True)
        for name in chosen:
            module = importlib.import_module(f"bench.scenario_{name}")
            missing = getattr(module, "missing", lambda: None)()
            if missing:
                skipped[name] = missing
                print(f"bench: {name}: skipped ({missing})", flush=True)
                continue
            t0 = time.monotonic()
            got = module.run(env, size, profile_dir=args.profile_dir)
            if args.scale and getattr(module, "SCALES", False):
                got += module.run(env, size, instances=2)
            figures += got
            print(f"bench: {name}: {time.monotonic() - t0:.1f} s", flush=True)
            print(report.table(got), flush=True)
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["skipped"] = skipped
    print("\n" + report.table(figures))
    if args.json:
        report.dump(figures, args.json, meta)
    if args.markdown:
        Path(args.markdown).write_text(report.markdown_report(figures, meta))
    return figures, skipped


if __name__ == "__main__":
    main()
