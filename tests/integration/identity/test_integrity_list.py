"""The bureau's integrity list: kept by hand and through the API, and looked up at every
gate (registration, admission, voucher approval, contract signing, claims) with the entry
as evidence; an entry lifted, expired or not yet in force stops nothing."""
import json
from datetime import date, timedelta

import pytest

from marketplace.agencies import services as registry
from marketplace.claims import services as claims
from marketplace.claims.models import CheckResult
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.integrity import barred
from marketplace.integrity.models import IntegrityListEntry
from marketplace.orders import services as orders
from marketplace.vouchers import services as vouchers
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, make_agency_profile,
                             make_application, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)
from tests.integration.claims.builders import quiet, signed_in
from tests.integration.claims.test_claim_workflow import accepted_claim, settle
from tests.integration.orders.test_order_api import token_for
from tests.integration.test_api_base import PREFIX
from tests.support.identity import add_people, person, resident_id

REASON, SOURCE = "骗取财政补助资金", "信用中国（江西）"


def bar_organisation(auditor, organisation, **dates):
    return barred.add_entry(auditor, subject="organisation", name=organisation.name,
                            uscc=organisation.uscc, reason=REASON, source=SOURCE,
                            listed_from=dates.get("listed_from", date(2025, 1, 1)),
                            listed_to=dates.get("listed_to"))


def bar_person(auditor, name, number):
    return barred.add_entry(auditor, subject="person", name=name, id_kind="resident_id",
                            id_number=number, reason=REASON, source=SOURCE,
                            listed_from=date(2025, 1, 1))


def test_an_auditor_lists_and_lifts_on_the_pages(app, auditor):
    client = signed_in(auditor)
    number = resident_id(9001)
    added = client.post("/integrity/list/new", data={
        "subject": "person", "name": "失信人甲", "id_kind": "resident_id", "id_number": number,
        "reason": REASON, "source": SOURCE, "listed_from": "2025-03-01"})
    assert added.status_code == 302
    entry = db.session.query(IntegrityListEntry).one()
    assert entry.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    page = client.get("/integrity/list").get_data(as_text=True)
    assert "失信人甲" in page and entry.id_number_masked in page and number not in page
    wrong = client.post("/integrity/list/new", data={
        "subject": "organisation", "name": "某公司", "uscc": "913601000000000000",
        "reason": REASON, "source": SOURCE, "listed_from": "2025-03-01"})
    assert wrong.status_code == 422 and db.session.query(IntegrityListEntry).count() == 1
    # a reason too long is told beside the entry, kept as typed, and ends nothing
    too_long = "撤销" * 1001
    refused = client.post(f"/integrity/list/{entry.id}/lift", data={"lift-reason": too_long})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f'value="{too_long}"' in page and "is-invalid" in page
    refused = client.post(f"/integrity/list/{entry.id}/lift", data={"lift-reason": " "})
    assert refused.status_code == 422
    assert "Give the reason the listing ends." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert entry.lifted_dt is None
    client.post(f"/integrity/list/{entry.id}/lift", data={"lift-reason": "法院撤销"})
    db.session.expire_all()
    assert entry.lifted_dt is not None and not entry.is_active_on(date.today())


def test_the_api_lists_and_reads_the_list(client, auditor):
    firm = FirmMemberFactory().organisation
    created = client.post(f"{PREFIX}/integrity-list", headers=token_for(auditor), json={
        "subject": "organisation", "name": firm.name, "uscc": firm.uscc, "reason": REASON,
        "source": SOURCE, "listed_from": "2025-01-01"})
    assert created.status_code == 201 and created.get_json()["active"] is True
    listed = client.get(f"{PREFIX}/integrity-list?active=true",
                        headers=token_for(staff("supervisor"))).get_json()
    assert [e["uscc"] for e in listed["items"]] == [firm.uscc]
    refused = client.post(f"{PREFIX}/integrity-list", headers=token_for(auditor), json={
        "subject": "person", "name": "某人", "id_number": "12345", "reason": REASON,
        "source": SOURCE, "listed_from": "2025-01-01"})
    assert refused.status_code == 422


def test_admission_of_a_barred_agency_is_refused(auditor):
    member = AgencyMemberFactory()
    profile = make_agency_profile(member, status="submitted", auditor=auditor)
    bar_person(auditor, member.organisation.legal_representative,
               resident_id(member.organisation.id))
    with pytest.raises(barred.IntegrityListHit) as hit:
        registry.decide(profile, auditor, "approve")
    assert hit.value.details["entries"][0]["reason"] == REASON


def test_voucher_approval_of_a_barred_firm_is_refused(auditor):
    programme = make_programme()
    member = FirmMemberFactory()
    application = make_application(programme, member)
    bar_organisation(auditor, member.organisation)
    with pytest.raises(barred.IntegrityListHit):
        vouchers.decide_application(application, actor=auditor, decision="approve")


def test_signing_with_a_barred_agency_officer_is_refused(auditor):
    offering = make_offering(price_fen=100_000_00)
    member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), firm_member=member)
    add_people(offering.agency.organisation,
               person("officer", "失信董事", 9100, title="director"))
    bar_person(auditor, "失信董事", resident_id(9100))
    order = make_quoted_order(offering, member)
    with pytest.raises(barred.IntegrityListHit):
        orders.sign_contract(order, member, voucher_id=voucher.id)


def test_a_claim_is_blocked_when_a_party_is_listed_after_signing(auditor):
    claim = accepted_claim()
    entry = bar_organisation(auditor, claim.contract.order.firm)
    claim = settle(claim)
    check = next(c for c in claims.checks_of(claim) if c.name == "integrity_list")
    assert check.result == CheckResult.BLOCK and claim.is_blocked
    [found] = json.loads(check.evidence)["entries"]
    assert (found["entry_id"], found["reason"], found["source"]) == (entry.id, REASON, SOURCE)
    assert {w["party"] for w in found["found_on"]} == {"firm_pinned", "firm_current"}


@pytest.mark.parametrize("dates", [
    {"listed_from": date(2024, 1, 1), "listed_to": date.today() - timedelta(days=1)},
    {"listed_from": date.today() + timedelta(days=10)},
], ids=["expired", "not_yet"])
def test_an_entry_not_in_force_stops_nothing(auditor, dates):
    claim = accepted_claim()
    bar_organisation(auditor, claim.contract.order.firm, **dates)
    lifted = bar_organisation(auditor, claim.contract.order.agency.organisation)
    barred.lift_entry(lifted, auditor, "行政复议撤销")
    claim = settle(claim)
    check = next(c for c in claims.checks_of(claim) if c.name == "integrity_list")
    assert check.result == CheckResult.PASS


def test_a_namesake_with_another_number_is_not_the_listed_person(auditor):
    claim = accepted_claim()
    representative = claim.contract.order.firm.legal_representative
    bar_person(auditor, representative, resident_id(77777))      # same name, other person
    claim = settle(claim)
    check = next(c for c in claims.checks_of(claim) if c.name == "integrity_list")
    assert check.result == CheckResult.PASS
    quiet()


def test_the_review_page_of_a_change_shows_a_listed_new_person(app, auditor):
    from marketplace.accounts import change_requests, versions

    member = FirmMemberFactory()
    proposal = versions.proposal_of(versions.current_version(member.organisation))
    new = person("shareholder", "失信股东", 9200, share_bp=5000)
    request = change_requests.submit(member.organisation, member, facts=proposal["facts"],
                                     people=proposal["people"] + [new], reason="新股东")
    bar_person(auditor, "失信股东", resident_id(9200))
    db.session.commit()
    client = signed_in(auditor)
    page = client.get(f"/identity/changes/{request.id}").get_data(as_text=True)
    assert 'data-testid="integrity-hits"' in page and REASON in page
    with pytest.raises(DomainError):
        registry.decide(make_agency_profile(status="submitted", auditor=auditor), auditor,
                        "reject")      # a reason is required (and nothing is barred here)


def _shareholding_organisation(name, code, share_bp=6000):
    from marketplace.accounts import people
    return people.person("shareholder", name, id_kind="uscc", id_number=code,
                         share_bp=share_bp)


def test_a_barred_organisation_holding_shares_in_a_party_is_found(auditor):
    """A barred company that owns the agency (its shareholder, named by its credit code)
    is 'one of its people on the list': signing is refused and the claim blocked, as for
    a barred person."""
    from tests.factories import FirmFactory

    owner = FirmFactory()           # the company on the list, a shareholder of the agency
    offering = make_offering(price_fen=100_000_00)
    member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), firm_member=member)
    claim = accepted_claim(member, offering=offering)          # signed before the listing
    add_people(offering.agency.organisation,
               _shareholding_organisation("失信控股公司", owner.uscc.lower()))
    entry = bar_organisation(auditor, owner)
    claim = settle(claim)
    check = next(c for c in claims.checks_of(claim) if c.name == "integrity_list")
    assert check.result == CheckResult.BLOCK and claim.is_blocked
    [found] = json.loads(check.evidence)["entries"]
    assert found["entry_id"] == entry.id
    assert {w["party"] for w in found["found_on"]} == {"agency_current"}
    assert found["found_on"][0]["person"]["name"] == "失信控股公司"
    order = make_quoted_order(offering, member)
    with pytest.raises(barred.IntegrityListHit):
        orders.sign_contract(order, member, voucher_id=voucher.id)
