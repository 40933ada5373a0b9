"""Celery bound to the Flask app, after Flask's own ``examples/celery``.

Every task runs inside the app context; after the task body the thread's committed outbox
messages are relayed, and the session is removed so the next task starts clean. Without a
``REDIS_URL`` tasks run in-process (eagerly) so a laptop needs nothing but Python.
"""
import logging

from celery import Celery, Task
from celery.schedules import crontab

log = logging.getLogger(__name__)


def celery_init_app(app):
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            from marketplace.core.outbox import continue_in_worker, relay_pending
            from marketplace.core.tasks import process_outbox_message
            from marketplace.extensions import db

            with app.app_context():
                try:
                    result = self.run(*args, **kwargs)
                    if self.request.is_eager:
                        relay_pending()
                    else:
                        continue_in_worker(process_outbox_message)
                    return result
                finally:
                    db.session.remove()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config), namespace=None)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery_settings(config):
    redis_url = config.get("REDIS_URL")
    queue = config["CELERY_QUEUE"]
    settings = {
        "task_default_queue": queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 300,
        "task_soft_time_limit": 240,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        # A request must not hang when the broker is down: fail fast, the outbox sweep retries.
        "task_publish_retry": True,
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.2},
        "broker_transport_options": {"socket_connect_timeout": 2, "socket_timeout": 5,
                                     "retry_on_timeout": False},
        "timezone": "Asia/Shanghai",
        "beat_schedule": {
            "outbox-sweep": {"task": "core.sweep_outbox",
                             "schedule": float(config["OUTBOX_SWEEP_SECONDS"])},
            "audit-seal": {"task": "core.seal_audit_chain",
                           "schedule": float(config["AUDIT_SEAL_SECONDS"])},
            "nightly-housekeeping": {"task": "core.nightly", "schedule": crontab(hour=2, minute=0)},
        },
    }
    in_process = config.get("TASKS_IN_PROCESS")
    if in_process is None:
        in_process = not redis_url
    if redis_url:
        settings.update(broker_url=redis_url)
    if not in_process:
        settings.update(task_always_eager=False)
    else:
        settings.setdefault("broker_url", "memory://")
        settings.update(task_always_eager=True, task_eager_propagates=False)
    return settings
