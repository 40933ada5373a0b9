"""Claims in a chosen state for the page, API and access tests, built through the real
services (acceptance, the checks run in-process by the outbox, decisions)."""
import itertools
from html import unescape

from flask import current_app

from marketplace.accounts.models import Role
from marketplace.claims import checks, services
from marketplace.claims.models import Claim
from marketplace.core import outbox
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import FirmMemberFactory, UserFactory
from tests.integration.claims.test_claim_workflow import accepted_claim, settle

_invoices = itertools.count(1)


def person(role, **fields):
    """A user of ``role`` who reads the pages in English."""
    if role == "firm":
        return FirmMemberFactory(locale="en", **fields)
    return UserFactory(role=Role(role), locale="en", **fields)


def quiet():
    """Forget the notifications the setup queued (as the database reset does): they are
    not what is tested, and the next request would relay them all."""
    outbox._committed_ids.set(None)


def checked(claim):
    """Run the claim's automatic checks here and now, without the outbox round trip of
    ``settle`` (the notifications it would also send are not what these tests check)."""
    claim = services.start_checks(claim.id)
    for name in checks.CHECKS:
        services.run_check(claim.id, claim.check_round, name)
    db.session.commit()
    quiet()
    db.session.expire_all()
    return db.session.get(Claim, claim.id)


def claim_at_first_review(auditor, firm_member=None, offering=None, amount_fen=100_000_00,
                          through_outbox=False):
    """A claim whose checks are done, assigned to ``auditor``."""
    claim = accepted_claim(firm_member, amount_fen=amount_fen, offering=offering,
                           invoice=f"FP-{next(_invoices):05d}")
    claim = settle(claim) if through_outbox else checked(claim)
    claim.assigned_auditor_id = auditor.id
    db.session.commit()
    quiet()
    return claim


def claim_at_final_approval(auditor, **kwargs):
    claim = claim_at_first_review(auditor, **kwargs)
    services.decide(claim, auditor, "approve", "材料齐全")
    db.session.commit()
    quiet()
    return claim


def approved_claim(auditor, supervisor, **kwargs):
    claim = claim_at_final_approval(auditor, **kwargs)
    services.decide(claim, supervisor, "approve")
    db.session.commit()
    quiet()
    return claim


def signed_in(user):
    """A new browser signed in as ``user`` (one per person, as in life)."""
    browser = current_app.test_client()
    login(browser, user.email)
    return browser


def page_text(response):
    return unescape(response.get_data(as_text=True))


def reload(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)
