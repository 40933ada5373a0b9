"""Where the visitor page cache (marketplace/core/page_cache.py) keeps its pages: Redis,
shared by every worker, behind a per-process level; the per-process level alone without
Redis or while it fails."""
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from hashlib import blake2b

log = logging.getLogger("marketplace.core.page_cache")


class LocalStore:
    """Pages in this process: an LRU within ``max_bytes``, each entry with its expiry.

    With Redis it is the first level in front of it (decoded pages, keyed by the same
    generation-bearing keys); without Redis, or while it fails, it is the cache, with a
    generation of this process's alone, so another worker's copy of a changed page lives
    until its TTL: acceptable for `make run` (one process) and during an outage."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.generation = 0
        self._pages = OrderedDict()     # key -> (expires, entry, size)
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return found[1]

    def set(self, key, entry, seconds):
        size = len(entry[3]) + 512
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = (time.monotonic() + seconds, entry, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._pages:
                self._drop(next(iter(self._pages)))

    def _drop(self, key):
        self._bytes -= self._pages.pop(key)[2]

    def clear(self):
        with self._lock:
            self._pages.clear()
            self._bytes = 0


class PageCache:
    """The stored pages of one app: ``lookup`` and ``set`` for the middleware, ``bump``
    after a commit that changed what the pages show. Every method swallows Redis errors
    (a miss, logged once per outage)."""

    def __init__(self, app):
        config = app.config
        # one namespace per deployment (and per test or benchmark run), like the limiter's
        self.prefix = "hc-page-" + config["CELERY_QUEUE"]
        self.url = config.get("PAGE_CACHE_URL") or config.get("REDIS_URL")
        self.retry_seconds = config["PAGE_CACHE_RETRY_SECONDS"]
        self.generation_seconds = config["PAGE_CACHE_GENERATION_SECONDS"]
        self.max_bytes = config["PAGE_CACHE_MAX_BYTES"]
        self.local = LocalStore(config["PAGE_CACHE_LOCAL_BYTES"])
        self._redis = None
        self._down_until = 0.0      # monotonic time before which Redis is not tried
        self._pending_bump = False  # a bump Redis missed, sent when it answers again
        self._lookup_script = None
        self._generation = None     # (Redis's generation, monotonic time it was read)

    # Redis, or None while it is not configured or failing
    def redis(self):
        if not self.url or time.monotonic() < self._down_until:
            return None
        if self._redis is None:
            import redis
            self._redis = redis.Redis.from_url(self.url, socket_connect_timeout=0.25,
                                               socket_timeout=0.25)
        return self._redis

    def _failed(self, error):
        if not self._down_until:    # once per outage
            log.warning("page cache: Redis unavailable (%s: %s); serving from the app and "
                        "an in-process cache for %ss", type(error).__name__, error,
                        self.retry_seconds)
        self._down_until = time.monotonic() + self.retry_seconds
        self._generation = None

    def _recovered(self, client, generation):
        """Redis answered: note it, and send the bump it missed; the generation to use."""
        if self._down_until:
            log.info("page cache: Redis answers again")
            self._down_until = 0.0
        if self._pending_bump:
            self._pending_bump = False
            generation = int(client.incr(self.prefix + ":generation"))
        self._generation = (generation, time.monotonic())
        return generation

    def lookup(self, locale, path, query):
        """``(key, stored page or None)``; the key holds the current generation.

        Redis's generation is read at most every ``generation_seconds`` per process (a
        change committed by another process shows here that much later; this process's
        own bumps at once), so most hits are served from this process's first level
        without a round trip. Otherwise one round trip (a script) reads the generation
        and the page stored under it."""
        digest = blake2b(f"{locale}\n{path}\n{query}".encode("utf-8", "surrogateescape"),
                         digest_size=16).hexdigest()
        client = self.redis()
        if client is None:
            key = f"{self.prefix}:l:{self.local.generation}:{digest}"
            return key, self.local.get(key)
        try:
            known = self._generation
            if known is not None and time.monotonic() - known[1] < self.generation_seconds:
                key = f"{self.prefix}:r:{known[0]}:{digest}"
                entry = self.local.get(key)
                if entry is not None:
                    return key, entry
                raw = client.get(key)
            else:
                if self._lookup_script is None:
                    self._lookup_script = client.register_script(_LOOKUP)
                generation, raw = self._lookup_script(
                    keys=[self.prefix + ":generation"], args=[self.prefix, digest])
                generation = self._recovered(client, int(generation))
                key = f"{self.prefix}:r:{generation}:{digest}"
                if self._pending_bump:
                    raw = None
            if not raw:
                return key, None
            entry = _decode(raw)
            remaining = entry[2] + entry[4] - time.time()
            if remaining > 0:
                self.local.set(key, entry, remaining)
            return key, entry
        except Exception as error:  # noqa: BLE001 (any failure is a miss)
            self._failed(error)
            key = f"{self.prefix}:l:{self.local.generation}:{digest}"
            return key, self.local.get(key)

    def set(self, key, status, headers, body, seconds):
        if len(body) > self.max_bytes:
            return
        entry = (status, headers, time.time(), body, seconds)
        self.local.set(key, entry, seconds)
        if key.startswith(self.prefix + ":r:"):
            client = self.redis()
            if client is not None:
                try:
                    client.set(key, _encode(entry), ex=seconds)
                except Exception as error:  # noqa: BLE001
                    self._failed(error)

    def bump(self):
        """A change to the public pages was committed: every stored copy is stale."""
        self.local.generation += 1
        client = self.redis()
        if client is None:
            self._pending_bump = bool(self.url)
            self._generation = None
            return
        try:
            self._generation = (int(client.incr(self.prefix + ":generation")),
                                time.monotonic())
        except Exception as error:  # noqa: BLE001
            self._pending_bump = True
            self._failed(error)

    def clear(self):
        """Forget every stored page (tests; `flask` shell after a bulk change)."""
        self.bump()
        self.local.clear()


# The generation and the page stored under it, in one round trip. (The page's key is
# built in the script, so this assumes one Redis server, not a cluster.)
_LOOKUP = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. ':r:' .. generation .. ':' .. ARGV[2])}
"""


def _encode(entry):
    status, headers, stored, body, seconds = entry
    meta = json.dumps([status, headers, stored, seconds]).encode()
    # compressed: an attacker varying the query string fills the shared Redis ten times
    # more slowly, and the Celery broker and the rate limits live there too
    return len(meta).to_bytes(4, "big") + meta + zlib.compress(body, 1)


def _decode(raw):
    """``(status, headers, stored at, body, seconds)``"""
    size = int.from_bytes(raw[:4], "big")
    status, headers, stored, seconds = json.loads(raw[4:4 + size])
    return (status, [tuple(header) for header in headers], stored,
            zlib.decompress(raw[4 + size:]), seconds)
