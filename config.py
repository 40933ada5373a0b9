"""Configuration classes. Every setting can be overridden from the environment.

`create_app()` picks the class named by ``MARKETPLACE_CONFIG`` (development, testing,
production; development by default) and then applies the environment overrides.
"""
import logging
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"
DEFAULT_IDENTITY_HASH_KEY = "dev-only-identity-hash-key-change-me"


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _env_int(name, default):
    return int(_env(name, default))


def _env_bool(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url):
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    if not url:
        return url  # unset: ProductionConfig.validate says so
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY = DEFAULT_SECRET_KEY
    # the key of the HMAC that identity-document numbers are stored as (never the numbers):
    # changing it makes every stored hash unmatchable, so it is set once per installation
    IDENTITY_HASH_KEY = DEFAULT_IDENTITY_HASH_KEY
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = None

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SUPPORTED_LOCALES = ("zh", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None

    BOOTSTRAP_SERVE_LOCAL = True
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024

    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "noreply@hongcheng-vouchers.local"

    STRIPE_API_BASE = "http://127.0.0.1:8420"
    STRIPE_SECRET_KEY = "sk_test_localstripe"
    STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    STRIPE_WEBHOOK_SECRET = "whsec_localstripe"
    STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    # A request thread waits at most connect + read timeout per try (retries are safe:
    # every call carries an idempotency key).
    STRIPE_CONNECT_TIMEOUT_SECONDS = 3
    STRIPE_READ_TIMEOUT_SECONDS = 20
    STRIPE_MAX_NETWORK_RETRIES = 1
    # A co-pay attempt the gateway never answered is re-sent under its own key for this
    # long (the gateway charges it once); after that it counts as failed and a new attempt
    # may be made (should the old one have charged, the charge is refunded automatically).
    COPAY_ATTEMPT_STALE_SECONDS = 120
    # The nightly reconciliation reads the gateway's PaymentIntents of this many days.
    RECONCILIATION_DAYS = 2
    # An override of a claim's blocking checks needs a written reason of this many
    # characters at least.
    OVERRIDE_REASON_MIN_CHARS = 15
    # Idempotency-Key: how long a duplicate waits for the first request's answer before
    # it gets 409 idempotency_key_in_progress, and after how long a key whose request
    # never finished (the process died) may be run again.
    IDEMPOTENCY_WAIT_SECONDS = 25
    IDEMPOTENCY_ABANDONED_SECONDS = 300

    PASSWORD_RESET_MAX_AGE = 3600
    # zxcvbn's score a new password must reach (0-4; 2 is about a million guesses)
    PASSWORD_MIN_SCORE = 2
    INVITATION_MAX_AGE = 7 * 24 * 3600
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"     # sign-in requests from one address (a flood guard)
    # Failed sign-ins: past the first limit for one account from one address, or the
    # second for one account from everywhere, the right password no longer signs in by
    # itself: it mails the account a one-time sign-in link (valid SIGNIN_LINK_MAX_AGE).
    LOGIN_PAIR_FAILURES = "5 per 15 minutes"
    LOGIN_ACCOUNT_FAILURES = "50 per hour"
    SIGNIN_LINK_MAX_AGE = 15 * 60
    REGISTER_RATE_LIMIT = "5 per hour"      # registrations from one address
    # mails an account is sent because someone else asked (a password reset, a
    # registration with its address), from all addresses together: no inbox flooding
    ACCOUNT_MAIL_LIMIT = "5 per hour"
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (werkzeug's
    # ProxyFix): 0 trusts none of these headers, as a client can write them itself.
    PROXY_HOPS = 0
    # Strict-Transport-Security, sent whenever cookies are Secure (production)
    HSTS_MAX_AGE = 31536000
    HSTS_INCLUDE_SUBDOMAINS = True
    API_PAGE_SIZE_MAX = 100
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    # the agency registry
    AGENCY_NOTICE_DAYS = 7
    DOCUMENT_WARNING_DAYS = 30
    SUSPEND_ON_EXPIRED_DOCUMENT = True
    # science and technology commissioners: the recognition's public notice, and how often
    # one who falls behind the year's minimum is reminded (silence: once per silence)
    COMMISSIONER_NOTICE_DAYS = 7
    COMMISSIONER_REMINDER_DAYS = 30
    # the expert pool: the province "outside the province" is counted from (GB/T 2260 code;
    # 36 is Jiangxi), and the defaults of a year the admin has not set
    HOME_PROVINCE = "36"
    EXPERT_OUT_OF_PROVINCE_TARGET_BP = 3000
    EXPERT_REQUIRE_OUT_OF_PROVINCE = False
    # an expert's yearly assessment: "not competent" at this many no-shows, below this share
    # of invitations answered in time, or scoring this far (hundredths of a point) from the
    # panel on average; "excellent" needs the second set
    EXPERT_NO_SHOW_LIMIT = 3
    EXPERT_MIN_IN_TIME_BP = 7000
    EXPERT_MAX_DISTANCE_X100 = 150
    EXPERT_EXCELLENT_IN_TIME_BP = 9500
    EXPERT_EXCELLENT_DISTANCE_X100 = 50
    EXPERT_EXCELLENT_MIN_SCORED = 3
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # how long a process keeps the working-day calendar before reading it again
    # (marketplace/workdays/calendar.py); a change in the same process clears it at once
    CALENDAR_CACHE_SECONDS = 300
    OUTBOX_SWEEP_SECONDS = 30
    # On: with a real worker, committed outbox messages are handed over in drains (one task
    # for a burst, marketplace/core/outbox_drain.py). Off (the default): a task per message.
    # Measured on one 2-core machine, drains were not faster (bench/RESULTS.md, run 17c).
    OUTBOX_DRAIN = False
    # The audit sealer (marketplace/core/audit_seal.py): a process asks for a seal after a
    # commit at most once per AUDIT_SEAL_ASK_SECONDS (0: after every commit), and the beat
    # seals every AUDIT_SEAL_SECONDS whatever is left.
    AUDIT_SEAL_ASK_SECONDS = 0.5
    AUDIT_SEAL_SECONDS = 10
    LOG_LEVEL = "INFO"
    # The visitor page cache (marketplace/core/page_cache.py): public pages as visitors see
    # them, in Redis (PAGE_CACHE_URL, else REDIS_URL) or, without it, in each process.
    PAGE_CACHE_ENABLED = True
    PAGE_CACHE_SECONDS = 60         # the backstop for a change no flush hook sees
    PAGE_CACHE_URL = None
    # each process's own level, in front of Redis or instead of it (LRU)
    PAGE_CACHE_LOCAL_BYTES = 4 * 1024 * 1024
    # how long a process trusts the generation it read from Redis: a change committed by
    # another process reaches this one's visitors at most this much later
    PAGE_CACHE_GENERATION_SECONDS = 1.0
    PAGE_CACHE_MAX_BYTES = 1024 * 1024
    PAGE_CACHE_RETRY_SECONDS = 30   # after a Redis error, before trying it again
    CELERY_QUEUE = "marketplace"
    # How long a process may trust an API token it has checked (marketplace/accounts/
    # token_cache.py), given that no change to the token, its user, organisation or
    # district was committed since: the bound for a change made outside the app (SQL by
    # hand) or a change whose notice Redis lost. 0 (or no REDIS_URL) loads every time.
    API_TOKEN_CACHE_SECONDS = 30
    # An API token's life when its owner picks none (the API's /auth/tokens): a token
    # leaked in a script or a log stops working by itself. The profile page offers
    # API_TOKEN_LIFETIMES, in days.
    API_TOKEN_DAYS = 90
    API_TOKEN_LIFETIMES = (30, 90, 365)
    # None: run tasks in-process exactly when there is no REDIS_URL.
    TASKS_IN_PROCESS = None

    @classmethod
    def from_environment(cls):
        """Return a dict of this class's settings with environment overrides applied."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        settings["SECRET_KEY"] = _env("SECRET_KEY", cls.SECRET_KEY)
        settings["IDENTITY_HASH_KEY"] = _env("IDENTITY_HASH_KEY", cls.IDENTITY_HASH_KEY)
        database_url = _env("DATABASE_URL", cls.SQLALCHEMY_DATABASE_URI)
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
        settings["REDIS_URL"] = _env("REDIS_URL", cls.REDIS_URL)
        for name in ("STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                     "STRIPE_WEBHOOK_SECRET", "STRIPE_JS_URL", "MAIL_SERVER",
                     "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "UPLOAD_DIR",
                     "PUBLIC_BASE_URL", "LOG_LEVEL", "CELERY_QUEUE", "LOGIN_RATE_LIMIT",
                     "LOGIN_PAIR_FAILURES", "LOGIN_ACCOUNT_FAILURES", "REGISTER_RATE_LIMIT",
                     "ACCOUNT_MAIL_LIMIT",
                     "HOME_PROVINCE"):
            settings[name] = _env(name, settings[name])
        settings["MAIL_PORT"] = _env_int("MAIL_PORT", cls.MAIL_PORT)
        for name in ("AGENCY_NOTICE_DAYS", "DOCUMENT_WARNING_DAYS", "UPLOAD_MAX_BYTES",
                     "COMMISSIONER_NOTICE_DAYS", "COMMISSIONER_REMINDER_DAYS",
                     "EXPERT_OUT_OF_PROVINCE_TARGET_BP",
                     "STRIPE_CONNECT_TIMEOUT_SECONDS", "STRIPE_READ_TIMEOUT_SECONDS",
                     "STRIPE_MAX_NETWORK_RETRIES", "IDEMPOTENCY_WAIT_SECONDS",
                     "IDEMPOTENCY_ABANDONED_SECONDS", "COPAY_ATTEMPT_STALE_SECONDS",
                     "RECONCILIATION_DAYS", "OVERRIDE_REASON_MIN_CHARS", "PROXY_HOPS",
                     "HSTS_MAX_AGE", "SIGNIN_LINK_MAX_AGE", "CALENDAR_CACHE_SECONDS",
                     "AUDIT_SEAL_SECONDS", "API_TOKEN_CACHE_SECONDS"):
            settings[name] = _env_int(name, settings[name])
        settings["AUDIT_SEAL_ASK_SECONDS"] = float(_env("AUDIT_SEAL_ASK_SECONDS",
                                                        settings["AUDIT_SEAL_ASK_SECONDS"]))
        settings["HSTS_INCLUDE_SUBDOMAINS"] = _env_bool("HSTS_INCLUDE_SUBDOMAINS",
                                                        cls.HSTS_INCLUDE_SUBDOMAINS)
        settings["OUTBOX_DRAIN"] = _env_bool("OUTBOX_DRAIN", cls.OUTBOX_DRAIN)
        settings["EXPERT_REQUIRE_OUT_OF_PROVINCE"] = _env_bool(
            "EXPERT_REQUIRE_OUT_OF_PROVINCE", cls.EXPERT_REQUIRE_OUT_OF_PROVINCE)
        settings["SUSPEND_ON_EXPIRED_DOCUMENT"] = _env_bool(
            "SUSPEND_ON_EXPIRED_DOCUMENT", cls.SUSPEND_ON_EXPIRED_DOCUMENT)
        settings["MAIL_USE_TLS"] = _env_bool("MAIL_USE_TLS", cls.MAIL_USE_TLS)
        settings["BABEL_DEFAULT_LOCALE"] = _env("DEFAULT_LOCALE", cls.BABEL_DEFAULT_LOCALE)
        settings["RATELIMIT_ENABLED"] = _env_bool("RATELIMIT_ENABLED", cls.RATELIMIT_ENABLED)
        settings["PAGE_CACHE_ENABLED"] = _env_bool("PAGE_CACHE_ENABLED", cls.PAGE_CACHE_ENABLED)
        settings["PAGE_CACHE_SECONDS"] = _env_int("PAGE_CACHE_SECONDS", cls.PAGE_CACHE_SECONDS)
        settings["PAGE_CACHE_URL"] = _env("PAGE_CACHE_URL", cls.PAGE_CACHE_URL)
        settings["SESSION_COOKIE_SECURE"] = _env_bool("SESSION_COOKIE_SECURE",
                                                      cls.SESSION_COOKIE_SECURE)
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
        return settings

    @classmethod
    def validate(cls, settings):
        """Refuse settings this environment must not run with."""
        if settings["BABEL_DEFAULT_LOCALE"] not in cls.SUPPORTED_LOCALES:
            raise RuntimeError(f"DEFAULT_LOCALE must be one of {cls.SUPPORTED_LOCALES}")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    AUDIT_SEAL_ASK_SECONDS = 0     # no beat in `make run`: every commit's records sealed
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'marketplace.db'}"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # Off like the limiter: tests change rows behind the ORM's back (TRUNCATE between
    # tests); tests/integration/test_page_cache.py switches it on.
    PAGE_CACHE_ENABLED = False
    AUDIT_SEAL_ASK_SECONDS = 0
    SERVER_NAME = None
    PUBLIC_BASE_URL = "http://localhost"

    @classmethod
    def from_environment(cls):
        settings = super().from_environment()
        test_database = _env("TEST_DATABASE_URL")
        if test_database:
            settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(test_database)
        settings["REDIS_URL"] = _env("TEST_REDIS_URL", settings["REDIS_URL"])
        # Only the throwaway localstripe of run_tests.py, never a developer's on :8420
        # (the tests reset it); without one, calls fail fast on the closed discard port.
        settings["STRIPE_API_BASE"] = _env("TEST_STRIPE_API_BASE", "http://127.0.0.1:9")
        settings["WTF_CSRF_ENABLED"] = _env_bool("WTF_CSRF_ENABLED", cls.WTF_CSRF_ENABLED)
        # Tests run tasks in-process unless a test starts a real worker and says otherwise.
        settings["TASKS_IN_PROCESS"] = _env_bool("TASKS_IN_PROCESS", True)
        return settings


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    # no development default here: each must be set (validate says which is missing)
    STRIPE_API_BASE = STRIPE_JS_URL = None
    STRIPE_SECRET_KEY = STRIPE_PUBLISHABLE_KEY = STRIPE_WEBHOOK_SECRET = None
    IDENTITY_HASH_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls, settings):
        super().validate(settings)
        problems = production_problems(settings)
        if problems:
            raise RuntimeError("Production refuses to start:\n- " + "\n- ".join(problems))
        if not settings.get("SESSION_COOKIE_SECURE"):
            # allowed (a trial behind plain http), but never silently: the session cookie
            # then travels in clear and no HSTS is sent
            logging.getLogger("marketplace").warning(
                "production with SESSION_COOKIE_SECURE off: session cookies are sent over "
                "plain http and no Strict-Transport-Security header is sent")
        if _is_loopback_url(settings.get("PUBLIC_BASE_URL") or ""):
            # mailed links (password resets, invitations, sign-in links) are built on it,
            # never on the request's Host: left at its default, they point at this machine
            logging.getLogger("marketplace").warning(
                "production with PUBLIC_BASE_URL %s: the links in mails (password resets, "
                "invitations, sign-in links) point there; set it to the site's public "
                "address", settings.get("PUBLIC_BASE_URL"))


# The public values of development and tests: anyone can read them here, so a production
# that kept one could be forged against (a webhook signed with the public secret).
DEVELOPMENT_DEFAULTS = {
    "STRIPE_SECRET_KEY": Config.STRIPE_SECRET_KEY,
    "STRIPE_PUBLISHABLE_KEY": Config.STRIPE_PUBLISHABLE_KEY,
    "STRIPE_WEBHOOK_SECRET": Config.STRIPE_WEBHOOK_SECRET,
    "STRIPE_API_BASE": Config.STRIPE_API_BASE,
    "STRIPE_JS_URL": Config.STRIPE_JS_URL,
}
LOOPBACK_HOSTS = ("localhost", "127.", "::1", "[::1]", "0.0.0.0")


def _is_loopback_url(url):
    from urllib.parse import urlsplit
    host = (urlsplit(url).hostname or "").lower()
    return not host or host.startswith(LOOPBACK_HOSTS) or host == "::1"


def production_problems(settings):
    """Every setting production cannot run with, each named with what to do."""
    problems = []
    secret = settings.get("SECRET_KEY")
    if not secret or secret == DEFAULT_SECRET_KEY or len(secret) < 16:
        problems.append("set SECRET_KEY to a long random value (for example: python -c "
                        "'import secrets; print(secrets.token_hex(32))')")
    if not settings.get("SQLALCHEMY_DATABASE_URI"):
        problems.append("set DATABASE_URL")
    for name, default in DEVELOPMENT_DEFAULTS.items():
        value = settings.get(name)
        if not value:
            problems.append(f"set {name} (it is empty)")
        elif value == default:
            problems.append(f"set {name}: it is the public development default")
        elif name in ("STRIPE_API_BASE", "STRIPE_JS_URL") and (
                _is_loopback_url(value) or not value.startswith("https://")):
            problems.append(f"set {name} to the gateway's https:// address (it points at "
                            f"{value}, not a production gateway)")
    if settings.get("MAIL_SERVER"):
        for name in ("MAIL_USERNAME", "MAIL_PASSWORD"):
            if not settings.get(name):
                problems.append(f"set {name}: MAIL_SERVER is set, and mail is sent only "
                                "with credentials")
    if settings.get("PROXY_HOPS", 0) < 0:
        problems.append("PROXY_HOPS cannot be negative")
    hash_key = settings.get("IDENTITY_HASH_KEY")
    if not hash_key or hash_key == DEFAULT_IDENTITY_HASH_KEY or len(hash_key) < 16:
        problems.append("set IDENTITY_HASH_KEY to a long random value, kept for the life of "
                        "the installation (identity numbers are stored only as its HMAC)")
    return problems


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name=None):
    name = name or os.environ.get("MARKETPLACE_CONFIG", "development")
    try:
        config_class = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown MARKETPLACE_CONFIG {name!r}; use one of {sorted(CONFIGS)}")
    settings = config_class.from_environment()
    config_class.validate(settings)
    return settings
