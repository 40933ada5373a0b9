"""A web worker starts without the libraries only a few requests use: the payment gateway's
SDK (stripe, which brings aiohttp), openpyxl (an XLSX read or written), fpdf and segno (the
contract PDF). Each is loaded where it is first used; at start they cost every worker
tens of megabytes it may never need (issue 23: the worker's memory goal is 150 MB). A fresh
interpreter builds the app with the production settings, as gunicorn's workers do, and
says what it loaded."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAZY = ("stripe", "aiohttp", "openpyxl", "fpdf", "segno", "PIL")

BUILD = r'''
import json, sys
from marketplace import create_app
create_app()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(%r))))
''' % (LAZY,)


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture: no database here."""
    yield


def production_environment():
    secret = "x" * 64
    return {"PATH": "/usr/bin:/bin", "MARKETPLACE_CONFIG": "production",
            "SECRET_KEY": secret, "IDENTITY_HASH_KEY": secret,
            # never connected to: building the app opens no connection
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "STRIPE_API_BASE": "https://gateway.invalid",
            "STRIPE_JS_URL": "https://gateway.invalid/v3/",
            "STRIPE_SECRET_KEY": "sk_unit_" + secret[:16],
            "STRIPE_PUBLISHABLE_KEY": "pk_unit_" + secret[:16],
            "STRIPE_WEBHOOK_SECRET": "whsec_unit_" + secret[:16]}


def test_building_the_production_app_loads_none_of_the_occasional_libraries():
    found = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True,
                           text=True, timeout=300, env=production_environment())
    assert found.returncode == 0, found.stderr[-3000:]
    assert json.loads(found.stdout.splitlines()[-1]) == []


def test_the_check_can_see_a_library_the_app_loads():
    """The subprocess reports what create_app() leaves loaded: a library it does load
    (flask_babel, for every page) is seen, so the empty answer above means something."""
    probe = BUILD.replace(repr(LAZY), repr(("flask_babel",)))
    assert probe != BUILD
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                           text=True, timeout=300, env=production_environment())
    assert found.returncode == 0, found.stderr[-3000:]
    assert "flask_babel" in json.loads(found.stdout.splitlines()[-1])


def test_an_unreadable_csv_is_told_without_openpyxl_and_openpyxls_own_error_is_caught():
    """``except unreadable():`` catches what a damaged file raises: a CSV's error without
    loading openpyxl, and openpyxl's InvalidFileException once openpyxl is loaded."""
    script = r'''
import json, sys
from marketplace.core import spreadsheets
before = spreadsheets.unreadable()
try:
    raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a damaged CSV")
except spreadsheets.unreadable():
    pass
csv_only = "openpyxl" in sys.modules
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
try:
    load_workbook("export.xls")  # openpyxl refuses the old format by its name
except spreadsheets.unreadable() as exc:
    caught = type(exc).__name__
print(json.dumps({"openpyxl_after_csv": csv_only, "caught": caught,
                  "before": InvalidFileException in before,
                  "after": InvalidFileException in spreadsheets.unreadable()}))
'''
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert found.returncode == 0, found.stderr[-3000:]
    assert json.loads(found.stdout.splitlines()[-1]) == {
        "openpyxl_after_csv": False, "caught": "InvalidFileException",
        "before": False, "after": True}
