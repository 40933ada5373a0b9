"""`python -m bench.import_child FILE USER_ID [PROFILE]`: import one registration export with
the product's ``import_file`` (production settings from the environment), commit, and print
the seconds and this process's peak RSS as JSON. With PROFILE the timed import runs under
pyinstrument and its text report is written to that path."""
import json
import resource
import sys
import time


def main(path, actor_id, app=None, profile=None):
    """Import ``path``; print and return the figures. ``app``: an app of this process
    (the smoke test's --in-process run) instead of a fresh production one."""
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.turnover.imports.importer import import_file

    app = app or create_app()
    with app.app_context():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        profiler = None
        if profile:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        t0 = time.perf_counter()
        batch = import_file(path, path.rsplit("/", 1)[-1], actor_id)
        db.session.commit()
        seconds = time.perf_counter() - t0
        if profiler:
            profiler.stop()
            with open(profile, "w") as out:
                out.write(profiler.output_text(unicode=True, show_all=False))
        added = getattr(batch, "rows_added", None)
        errors = None if added is not None else {
            "bad_rows": batch.bad_rows, "first": [list(p) for p in batch.problems[:5]]}
        db.session.remove()
    result = {"seconds": seconds, "rows_added": added, "errors": errors,
              "baseline_rss_mb": baseline,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), profile=sys.argv[3] if len(sys.argv) > 3 else None)
