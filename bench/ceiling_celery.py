"""Celery ceiling: a no-op task through the same broker, queue settings and worker
command as the product (`make worker`: prefork, one process per CPU, acks late,
prefetch 1). The task only counts itself in Redis so the benchmark knows when all ran."""
import time

import redis

from bench.env import ROOT  # noqa: F401  (sys.path)

COUNTER = "{queue}-noop-done"


def measure(env, tasks, label="ceiling-celery"):
    """No-op tasks/s: ``tasks`` sent at once to a fresh worker, until the last has run."""
    from bench.noop_celery import make_app

    queue = f"{env.queue}-noop"
    worker_env = env.product_env("", CELERY_QUEUE=queue)
    app = make_app(env.rd.url, queue)
    if env.in_process:
        app.conf.task_always_eager = True
    client = redis.Redis.from_url(env.rd.url)
    key = COUNTER.format(queue=queue)
    client.delete(key)
    with env.celery_worker("bench.noop_celery", worker_env, label):
        noop = app.tasks["bench.noop"]
        noop.delay(key)
        deadline = time.monotonic() + 180
        while int(client.get(key) or 0) < 1:       # the worker is up and consuming
            if time.monotonic() > deadline:
                raise RuntimeError("the no-op Celery worker did not start")
            time.sleep(0.05)
        t0 = time.perf_counter()
        for _ in range(tasks):
            noop.delay(key)
        while int(client.get(key) or 0) < tasks + 1:
            if time.monotonic() > deadline + 300:
                raise RuntimeError("the no-op tasks did not all run")
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
    client.delete(key)
    client.close()
    return tasks / seconds
