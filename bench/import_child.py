"""`python -m bench.import_child FILE USER_ID`: import one registration export with the product's
``import_file`` (production settings from the environment), commit, and print the
seconds and this process's peak RSS as JSON."""
import json
import resource
import sys
import time


def main(path, actor_id, app=None):
    """Import ``path``; print and return the figures. ``app``: an app of this process
    (the smoke test's --in-process run) instead of a fresh production one."""
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.turnover.imports import import_file

    app = app or create_app()
    with app.app_context():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        batch = import_file(path, path.rsplit("/", 1)[-1], actor_id)
        db.session.commit()
        seconds = time.perf_counter() - t0
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
    main(sys.argv[1], int(sys.argv[2]))
