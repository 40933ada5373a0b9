"""Experts never see the claims of a party they are tied to: a recorded tie
(ExpertConflict) or their own organisation, even when the tie is known only after they
were drawn for the claim. The draw already leaves tied experts out
(claims/test_experts.py); these tests hold the pages, the API and the predicates to it."""
import pytest

from marketplace.accounts.services import issue_api_token
from marketplace.claims import permissions as perms
from marketplace.claims.expert_models import ExpertConflict
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import staff
from tests.integration.claims.test_experts import large_claim_at_experts, make_expert


@pytest.fixture
def drawn():
    """A large claim at expert review and the one expert of its field, drawn for it."""
    profile = make_expert()
    claim = large_claim_at_experts(staff("auditor"))
    db.session.commit()
    assert perms.can_view_claim(profile.user, claim)      # drawn, untied: sees it
    return claim, profile


def _tie(claim, profile, how):
    if how == "firm":
        db.session.add(ExpertConflict(expert_id=profile.user_id,
                                      organisation_id=claim.firm_id, note="股东"))
    elif how == "agency":
        db.session.add(ExpertConflict(expert_id=profile.user_id,
                                      organisation_id=claim.agency_id, note="曾任职"))
    else:   # the expert's own employer is the agency
        profile.organisation_id = claim.agency_id
    db.session.commit()


@pytest.mark.parametrize("how", ["firm", "agency", "employer"])
def test_a_tied_expert_loses_sight_of_the_claim(app, drawn, how):
    claim, profile = drawn
    _tie(claim, profile, how)
    expert = profile.user
    assert not perms.is_invited_expert_of(expert, claim)
    assert not perms.can_view_claim(expert, claim)
    assert not perms.can_score_claim(expert, claim)
    client = app.test_client()
    login(client, expert.email)
    assert client.get(f"/claims/{claim.id}").status_code == 404
    _token, plaintext = issue_api_token(expert, "expert")
    db.session.commit()
    api = app.test_client().get(f"/api/v1/claims/{claim.id}",
                                headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 404


def test_a_tie_to_another_organisation_changes_nothing(app, drawn):
    claim, profile = drawn
    db.session.add(ExpertConflict(expert_id=profile.user_id,
                                  organisation_id=_unrelated_organisation(claim), note="无关"))
    db.session.commit()
    assert perms.can_view_claim(profile.user, claim)
    client = app.test_client()
    login(client, profile.user.email)
    assert client.get(f"/claims/{claim.id}").status_code == 200


def _unrelated_organisation(claim):
    from tests.factories import FirmFactory
    firm = FirmFactory()
    db.session.flush()
    assert firm.id not in (claim.firm_id, claim.agency_id)
    return firm.id
