"""Settings a production deployment could start with (none of them a development default),
for tests that build the production configuration."""
import secrets

PRODUCTION_SETTINGS = {
    "SECRET_KEY": secrets.token_hex(32),
    "DATABASE_URL": "postgresql://hc@db.internal:5432/hongcheng",
    "STRIPE_API_BASE": "https://api.stripe.example",
    "STRIPE_JS_URL": "https://js.stripe.example/v3/",
    "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(12),
    "STRIPE_PUBLISHABLE_KEY": "pk_live_" + secrets.token_hex(12),
    "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
    "IDENTITY_HASH_KEY": secrets.token_hex(32),
}
SETTINGS_READ = tuple(PRODUCTION_SETTINGS) + (
    "SESSION_COOKIE_SECURE", "DEFAULT_LOCALE", "RATELIMIT_ENABLED", "MAIL_SERVER",
    "MAIL_USERNAME", "MAIL_PASSWORD", "PROXY_HOPS", "HSTS_INCLUDE_SUBDOMAINS",
    "HSTS_MAX_AGE")


def production_environment(monkeypatch, **changes):
    """Set the environment to PRODUCTION_SETTINGS with ``changes`` (None unsets one)."""
    for name in SETTINGS_READ:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PRODUCTION_SETTINGS, **changes}.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return monkeypatch
