"""The import contracts of .importlinter name every package of marketplace/: a new domain
is placed in the layers on purpose, not left out of them by accident. (`make test` runs
lint-imports itself; this checks the contracts' lists, and that they are kept.)"""
import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture: no database here."""
    yield


def _contracts():
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return {section: parser[section] for section in parser.sections()}


def _listed(value):
    return {line.strip() for line in value.splitlines()
            if line.strip() and not line.strip().startswith(";")}


def test_every_domain_is_placed_in_the_contracts():
    packages = {f"marketplace.{path.parent.name}" for path in
                (ROOT / "marketplace").glob("*/__init__.py")}
    contracts = _contracts()
    core = contracts["importlinter:contract:core-knows-no-domain"]
    ledger = contracts["importlinter:contract:only-funds-posts"]
    domains = packages - {"marketplace.core"}
    assert _listed(core["forbidden_modules"]) == domains
    assert _listed(ledger["source_modules"]) - {"marketplace.cli"} == \
        domains - {"marketplace.funds"}


def test_the_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    found = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert found.returncode == 0, found.stdout[-3000:]


def test_core_names_no_domain_even_in_a_string():
    """lint-imports sees imports only: a model loaded by its dotted name (as the page cache
    once did) or a domain's values spelled out in core would pass it. Core receives such
    things by registration from the domain's ``init_app``."""
    domains = {path.parent.name for path in (ROOT / "marketplace").glob("*/__init__.py")}
    domains -= {"core"}
    pattern = re.compile(r"marketplace[./](%s)\b" % "|".join(sorted(domains)))
    named = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in [*(ROOT / "marketplace" / "core").rglob("*.py"),
                          ROOT / "marketplace" / "extensions.py"]
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if pattern.search(line)]
    assert not named, named


def _layers():
    """The domain-layers contract's layers, lowest first, each a set of package names."""
    value = _contracts()["importlinter:contract:domain-layers"]["layers"]
    return [{name.strip() for name in line.split("|")}
            for line in reversed(sorted(_listed(value), key=value.index))]


def test_every_domain_has_its_layer():
    """A new domain is placed among the layers on purpose: outside them, it could import
    any domain and any could import it."""
    packages = {path.parent.name for path in (ROOT / "marketplace").glob("*/__init__.py")}
    layered = set().union(*_layers())
    assert layered == packages - {"core"}


def test_the_factory_wires_the_domains_in_the_order_of_their_layers():
    """marketplace/domains.py is the one visible list a newcomer reads: it must say the
    same order as the contract lint-imports holds the imports to."""
    from marketplace.domains import DOMAINS

    level = {name: number for number, layer in enumerate(_layers()) for name in layer}
    wired = [domain.__name__.removeprefix("marketplace.") for domain in DOMAINS]
    assert set(wired) == set(level) - {"demo"}, "demo seeds data from the CLI, unwired"
    levels = [level[name] for name in wired]
    assert levels == sorted(levels), list(zip(wired, levels))
