"""`celery -A bench.noop_celery worker`: the product's Celery settings, one no-op task."""
import os

import redis
from celery import Celery

from marketplace.core.celery_app import celery_settings


def make_app(redis_url, queue):
    app = Celery("bench_noop", set_as_current=False)
    app.config_from_object(celery_settings({"REDIS_URL": redis_url, "CELERY_QUEUE": queue,
                                            "OUTBOX_SWEEP_SECONDS": 30, "AUDIT_SEAL_SECONDS": 10,
                                            "TASKS_IN_PROCESS": False}), namespace=None)
    app.conf.beat_schedule = {}
    clients = {}

    @app.task(name="bench.noop")
    def noop(counter_key):
        if "r" not in clients:
            clients["r"] = redis.Redis.from_url(redis_url)
        clients["r"].incr(counter_key)

    return app


if os.environ.get("REDIS_URL") and os.environ.get("CELERY_QUEUE"):
    celery = make_app(os.environ["REDIS_URL"], os.environ["CELERY_QUEUE"])
