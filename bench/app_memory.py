"""`python -m bench.app_memory [--database URL] [GET_PATH ...]`: build the product app as a
production web worker does (MARKETPLACE_CONFIG=production, create_app()), and print as JSON
this process's resident memory and which heavy libraries it has loaded; then again after
serving each GET_PATH through the test client (that needs ``--database``: a migrated one).

Run it in a fresh interpreter each time: what it reports is what one worker carries.
Settings not in the environment get throwaway values that production accepts (an
unreachable ``.invalid`` gateway, as the benchmark's), so nothing here pays or mails."""
import argparse
import json
import os
import secrets
import sys

# the libraries worth megabytes that a worker need not load to start (issue 23)
HEAVY = ("stripe", "aiohttp", "openpyxl", "fpdf", "segno", "PIL", "fontTools", "pydantic",
         "jsonschema", "schemathesis", "hypothesis", "pandas", "numpy", "lxml", "pyinstrument",
         "celery", "kombu", "redis", "babel", "sqlalchemy", "psycopg", "jinja2", "requests")


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def loaded():
    return sorted(name for name in HEAVY if name in sys.modules)


def production_environment(database_url):
    secret = secrets.token_hex(32)
    defaults = {"MARKETPLACE_CONFIG": "production", "SECRET_KEY": secret,
                "IDENTITY_HASH_KEY": secret, "DATABASE_URL": database_url,
                "REDIS_URL": "redis://127.0.0.1:6379/0", "LOG_LEVEL": "WARNING",
                "SESSION_COOKIE_SECURE": "0",
                "STRIPE_API_BASE": "https://gateway.invalid",
                "STRIPE_JS_URL": "https://gateway.invalid/v3/",
                "STRIPE_SECRET_KEY": "sk_bench_" + secret[:16],
                "STRIPE_PUBLISHABLE_KEY": "pk_bench_" + secret[:16],
                "STRIPE_WEBHOOK_SECRET": "whsec_bench_" + secret[:16]}
    os.environ["MARKETPLACE_CONFIG"] = "production"
    for name, value in defaults.items():
        if name == "DATABASE_URL" and database_url:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
    os.environ.pop("MAIL_SERVER", None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a migrated database, for the GET paths")
    parser.add_argument("paths", nargs="*", help="pages to GET after the app is built")
    args = parser.parse_args(argv)
    if args.paths and not args.database:
        parser.error("serving pages needs --database")
    production_environment(args.database or "postgresql://unused@127.0.0.1:1/unused")
    figures = {"before_app_rss_mb": rss_mb()}

    from marketplace import create_app
    app = create_app()
    figures.update(app_rss_mb=rss_mb(), app_loaded=loaded())
    if args.paths:
        client = app.test_client()
        statuses = {}
        for path in args.paths:
            statuses[path] = client.get(path, base_url="https://localhost").status_code
        figures.update(statuses=statuses, served_rss_mb=rss_mb(), served_loaded=loaded())
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
