"""The app factory wires every part a domain declares: a handler, nightly job, job runner,
ledger invariant, claim check, scorecard source, payment-event subscriber, reference
seeder, notification kind, label or API operation that only exists once some forgotten
module is imported would silently never run. A fresh interpreter builds the Celery
worker's app (the web server's is built by the same ``create_app()``), notes what is
registered, then imports every module of marketplace/ and notes again: the two must be
the same."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SNAPSHOT = r'''
import importlib, json, pkgutil, sys, weakref
import blinker
import marketplace

def registered():
    from marketplace.accounts import reference
    from marketplace.api import spec
    from marketplace.catalogue import scorecards
    from marketplace.claims import checks
    from marketplace.core import jobs, labels, ledger, outbox, page_cache, tasks
    from marketplace.integrity import invoices
    from marketplace.notifications import messages
    from marketplace.accounts import signals as account_signals
    from marketplace.agencies import signals as agency_signals
    from marketplace.claims import signals as claim_signals
    from marketplace.orders import signals as order_signals
    from marketplace.payments import events
    def where(func):
        return f"{func.__module__}.{func.__qualname__}"
    found = {
        "outbox handlers": {t: where(f) for t, f in outbox._HANDLERS.items()},
        "nightly jobs": sorted(where(f) for f in tasks.NIGHTLY_JOBS),
        "job runners": {k: where(v.run) for k, v in jobs._KINDS.items()},
        "ledger invariants": sorted(where(f) for f in ledger._DOMAIN_INVARIANTS),
        "claim checks": {name: where(f) for name, f in checks.CHECKS.items()},
        "payment events": {t: sorted(where(f) for f in fs)
                           for t, fs in events._subscribers.items()},
        "reference seeders": sorted(where(f) for f in reference._SEEDERS),
        "notification kinds": sorted(set(messages.NOTIFICATION_TEMPLATES)
                                     | set(messages.MAIL_TEMPLATES)),
        "labels": sorted(labels.LABELS),
        "api operations": sorted(f"{op.method} {op.path}" for op in spec.OPERATIONS),
        "api value sets": sorted(spec._VALUE_SETS),
        "invoice sources": sorted(where(s.uses) for s in invoices.registered_sources()),
        "scorecard sources": sorted(where(f) for f in scorecards.SOURCES),
        "page-cache models": sorted(c.__name__ for c in page_cache.watched_models()),
        "signal receivers": sorted(
            f"{name}: {where(ref() if isinstance(ref, weakref.ref) else ref)}"
            for signals in (account_signals, agency_signals, order_signals,
                            claim_signals)
            for name, signal in vars(signals).items() if isinstance(signal, blinker.Signal)
            for ref in signal.receivers.values()),
    }
    return found

import celery_worker  # the worker's app: the web app is built by the same create_app()
wired = registered()
for info in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
    importlib.import_module(info.name)
print(json.dumps({"wired": wired, "everything": registered()}))
'''


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture: no database here."""
    yield


@pytest.fixture(scope="module")
def snapshot():
    found = subprocess.run([sys.executable, "-c", SNAPSHOT], cwd=ROOT, capture_output=True,
                           text=True, timeout=300,
                           env={"MARKETPLACE_CONFIG": "testing", "PATH": "/usr/bin:/bin"})
    assert found.returncode == 0, found.stderr[-3000:]
    return json.loads(found.stdout.splitlines()[-1])


def test_every_declared_part_is_wired_by_the_app_factory(snapshot):
    missing = {}
    for registry, everything in snapshot["everything"].items():
        wired = snapshot["wired"][registry]
        if isinstance(everything, dict):
            left = {key: value for key, value in everything.items()
                    if wired.get(key) != value}
        else:
            left = sorted(set(everything) - set(wired))
        if left:
            missing[registry] = left
    assert not missing, f"defined but not registered by create_app(): {missing}"


def test_the_registries_are_not_empty(snapshot):
    """A snapshot that sees nothing would pass the test above for the wrong reason."""
    assert all(snapshot["wired"].values()), \
        [name for name, found in snapshot["wired"].items() if not found]


def test_what_the_lower_domains_announce_is_heard(snapshot):
    """Signing registers the contract (turnover), acceptance creates the claim and a
    party's new facts recheck its claims (claims), an admitted agency has its scorecard and
    a renamed category's offerings are found by the new name (catalogue), and a panel draws
    an expert from outside the province when the year asks for one (experts) only because
    those domains subscribed in their init_app."""
    heard = {line.split(": ")[0] for line in snapshot["wired"]["signal receivers"]}
    assert heard == {"contract_signed", "contract_cancelled", "order_accepted",
                     "copay_refund_arriving", "copay_refunded", "registration_asked",
                     "order_page", "organisation_changed", "agency_admitted",
                     "category_renamed", "outside_expert_wanted",
                     # the notifications domain mails and notifies what accounts announces
                     "signin_link_made", "organisation_registered", "registration_attempted",
                     "password_reset_requested", "member_invited", "member_joined",
                     "identity_queue_opened", "profile_page"}

