"""Counters of failed attempts (sign-ins), in the rate limiter's storage: Redis, shared by
every web process, when REDIS_URL is set.

When that storage cannot be reached the counters go on in this process's memory, the
log says so once (and again when Redis is back), and /readyz reports it: signing in must
not depend on Redis (it answered 500 when Redis was down). Flask-Limiter's own limits
fall back the same way (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``)."""
import logging
import threading
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from marketplace.extensions import limiter

log = logging.getLogger(__name__)
RETRY_STORAGE_SECONDS = 30
_state = {"down_since": None, "fallback": None}
_lock = threading.Lock()


def _fallback():
    with _lock:
        if _state["fallback"] is None:
            _state["fallback"] = MovingWindowRateLimiter(MemoryStorage())
        return _state["fallback"]


def _call(method, *args):
    """Run ``method`` of the shared strategy, or of the in-process one while the shared
    storage is down (retried every RETRY_STORAGE_SECONDS)."""
    down_since = _state["down_since"]
    if down_since is None or time.monotonic() - down_since > RETRY_STORAGE_SECONDS:
        try:
            answer = getattr(limiter.limiter, method)(*args)
        except Exception as error:  # noqa: BLE001  (any storage failure: fall back)
            if _state["down_since"] is None:
                log.warning("rate-limit storage unreachable (%s): counting sign-in failures "
                            "in this process's memory until it is back",
                            type(error).__name__)
            _state["down_since"] = time.monotonic()
        else:
            if down_since is not None:
                log.warning("rate-limit storage reachable again: counting in it")
                _state["down_since"] = None
            return answer
    return getattr(_fallback(), method)(*args)


def enabled():
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def record(limit, *keys):
    """Count one more attempt against ``limit`` ("5 per 15 minutes") for ``keys``."""
    if enabled():
        _call("hit", parse(limit), "throttle", *keys)


def exceeded(limit, *keys):
    """Whether ``keys`` have used up ``limit`` in its window."""
    return enabled() and not _call("test", parse(limit), "throttle", *keys)


def forget(limit, *keys):
    if enabled():
        _call("clear", parse(limit), "throttle", *keys)


def storage_state():
    """"ok", or why counters are kept in process memory (for /readyz)."""
    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001
        reachable = False
    if reachable:
        return "ok"
    return "degraded: rate limits counted in each process's memory (storage unreachable)"
