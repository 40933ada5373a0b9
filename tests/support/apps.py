"""A second product app in the test process (another gunicorn worker, a probe, an app of
its own settings) rebinds process-wide state: the current and default Celery app, which
``shared_task`` resolves to (so tasks would run in the second app, with its settings: a
mail sent without the test's SMTP server), and, through Alembic's env.py, the logging
configuration. These put them back."""
import contextlib
import logging


@contextlib.contextmanager
def process_globals_kept(app):
    """Inside: make other apps freely; after: ``app``'s Celery and logging are back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        celery = app.extensions["celery"]
        celery.set_current()
        celery.set_default()
        root.handlers[:] = handlers
        root.setLevel(level)
