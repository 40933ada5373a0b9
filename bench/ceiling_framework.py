"""Framework ceiling: a bare Flask app under the product's gunicorn settings, driven by
the same load driver and concurrency as the scenario it is compared with."""
from bench import load

WARMUP_SECONDS = 1.0
TINY_WARMUP_SECONDS = 0.2


def measure(env, seconds, label="framework"):
    """Requests/s of the bare app (a fresh gunicorn, warmed up, then ``seconds`` of load).
    At the tiny size (the smoke test) it is measured once per run and reused."""
    if env.size == "tiny" and getattr(env, "_framework", None):
        return env._framework
    with env.gunicorn("bench.bare_app:app", env.product_env(""), f"ceiling-{label}") as srv:
        request = load.Request("GET", "/")
        load.drive(srv.port, load.repeat(request), concurrency=env.concurrency,
                   duration=TINY_WARMUP_SECONDS if env.size == "tiny" else WARMUP_SECONDS)
        result = load.drive(srv.port, load.repeat(request), concurrency=env.concurrency,
                            duration=seconds)
    if result.statuses.get(200, 0) != result.count:
        raise RuntimeError(f"framework ceiling answered {result.statuses}")
    env._framework = result
    return result
