"""Racing the same step from several threads on PostgreSQL, each with its own app
context (session, connection), released together once every thread has loaded what it
acts on: a step that checks state it read before another committed is caught every time."""
import threading

from marketplace.core.errors import DomainError


def at_once(app, steps):
    """Run each ``(load, act)`` of ``steps`` in a thread of its own: ``load()`` reads the
    objects (in that thread's session), then, all threads loaded, ``act(*loaded)`` runs
    and commits. Returns each step's outcome in order: "ok" or the DomainError's code."""
    from marketplace.extensions import db

    start = threading.Barrier(len(steps))
    outcomes = [None] * len(steps)

    def run(index, load, act):
        with app.app_context():
            try:
                loaded = load()
                start.wait(timeout=30)
                act(*loaded)
                db.session.commit()
                outcomes[index] = "ok"
            except DomainError as error:
                db.session.rollback()
                outcomes[index] = error.code
            except Exception as error:   # noqa: BLE001  (reported as the outcome)
                db.session.rollback()
                outcomes[index] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, load, act))
               for i, (load, act) in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
