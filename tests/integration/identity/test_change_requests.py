"""Regulated facts change only through a request an auditor approves: the owner's page
and the API ask, the auditor's page and the API decide, each approval is a version with
old -> new in the audit log, and identity numbers are never stored or shown whole."""
import json
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from marketplace.accounts import change_requests, versions
from marketplace.accounts.models import FirmTier
from marketplace.accounts.version_models import (ChangeRequest, ChangeRequestStatus,
                                                 OrganisationVersion, VersionPerson)
from marketplace.core.audit import AuditRecord
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.integrity import certification
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.claims.builders import quiet, signed_in
from tests.integration.security.forms_walker import parse_forms
from tests.integration.test_api_base import PREFIX
from tests.support.identity import resident_id

NEW_REPRESENTATIVE_ID = resident_id(4242)


@pytest.fixture
def owner():
    member = FirmMemberFactory(locale="en")
    db.session.commit()
    return member


def errors_of(response):
    import re
    return [" ".join(found.split()) for found in re.findall(
        r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>(.*?)<(?:/div|button)',
        response.get_data(as_text=True), re.S)]


class _Selected(HTMLParser):
    """The selected option of each select (the first one when none is marked)."""

    def __init__(self):
        super().__init__()
        self.values, self._select = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select:
            if "selected" in attrs or self._select not in self.values:
                self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _form(client):
    """The request form as the page fills it, as the browser would send it untouched."""
    page = client.get("/organisation/changes/new").get_data(as_text=True)
    [form] = [f for f in parse_forms(page, "/organisation/changes/new", "owner")
              if f.action == "/organisation/changes/new"]
    selected = _Selected()
    selected.feed(page)
    return {**form.defaults(), **selected.values}


def test_the_page_shows_the_current_facts_and_sends_a_request_instead_of_saving(app, owner):
    client = signed_in(owner)
    organisation = owner.organisation
    page = client.get("/organisation").get_data(as_text=True)
    assert 'data-testid="version">version 1' in page
    assert organisation.contact_phone in page
    masked = organisation.current_version.people[0].id_number_masked
    assert masked in page and resident_id(organisation.id) not in page
    assert "Tech SME" in page           # the certified tier, shown
    assert client.post("/organisation", data={}).status_code == 405

    data = _form(client)
    data.update({"contact_phone": "+86 791 8666 0001", "people-0-name": "赵新",
                 "people-0-id_number": NEW_REPRESENTATIVE_ID,
                 "reason": "法定代表人变更，见新营业执照。"})
    response = client.post("/organisation/changes/new", data=data)
    assert response.status_code == 302, (errors_of(response), data)
    db.session.expire_all()
    assert organisation.contact_phone != "+86 791 8666 0001"     # nothing changed yet
    request = change_requests.pending_request(organisation)
    proposal = request.proposal
    assert proposal["facts"]["contact_phone"] == "+86 791 8666 0001"
    assert NEW_REPRESENTATIVE_ID not in request.proposed        # hashed on arrival
    assert proposal["people"][0]["id_number_masked"] == \
        NEW_REPRESENTATIVE_ID[:4] + "*" * 10 + NEW_REPRESENTATIVE_ID[-4:]


def test_the_auditor_approves_and_the_facts_become_version_2_with_old_and_new(app, owner,
                                                                             auditor):
    client = signed_in(owner)
    data = _form(client)
    data.update({"contact_phone": "0791-86660001", "people-0-name": "赵新",
                 "people-0-id_number": NEW_REPRESENTATIVE_ID, "reason": "法定代表人变更"})
    client.post("/organisation/changes/new", data=data)
    request = change_requests.pending_request(owner.organisation)
    quiet()

    reviewer = signed_in(auditor)
    queue = reviewer.get("/identity/changes").get_data(as_text=True)
    assert f"Request #{request.id}" in queue
    review = reviewer.get(f"/identity/changes/{request.id}").get_data(as_text=True)
    assert 'data-field="contact_phone" class="table-warning" data-changed="1"' in review
    assert "赵新" in review and 'data-new="1"' in review and 'data-gone="1"' in review
    refused = reviewer.post(f"/identity/changes/{request.id}", data={"decision": "approve"})
    assert refused.status_code == 422              # the documents were not confirmed
    done = reviewer.post(f"/identity/changes/{request.id}",
                         data={"decision": "approve", "checked": "y", "comment": "已核对"})
    assert done.status_code == 302
    db.session.expire_all()
    organisation = owner.organisation
    assert (organisation.current_version.number, organisation.contact_phone,
            organisation.legal_representative) == (2, "0791-86660001", "赵新")
    assert organisation.contact_phone_key == "+8679186660001"
    record = db.session.execute(select(AuditRecord).where(
        AuditRecord.object_type == "Organisation", AuditRecord.action == "version",
        AuditRecord.after_state == "v2")).scalar_one()
    data = json.loads(record.data)
    assert data["changes"]["contact_phone"][1] == "0791-86660001"
    assert any("赵新" in p for p in data["people_added"])
    assert NEW_REPRESENTATIVE_ID not in record.data
    # version 1 is kept as it was
    first = db.session.execute(select(OrganisationVersion).where(
        OrganisationVersion.organisation_id == organisation.id,
        OrganisationVersion.number == 1)).scalar_one()
    assert first.legal_representative != "赵新"


def test_a_rejection_needs_a_reason_and_keeps_the_facts(app, owner, auditor):
    request = _phone_request(owner, "0791-86660009")
    reviewer = signed_in(auditor)
    assert reviewer.post(f"/identity/changes/{request.id}",
                         data={"decision": "reject"}).status_code == 422
    assert reviewer.post(f"/identity/changes/{request.id}",
                         data={"decision": "reject", "comment": "请提供证明"}).status_code == 302
    db.session.expire_all()
    assert request.status == ChangeRequestStatus.REJECTED
    assert owner.organisation.current_version.number == 1


def _phone_request(member, phone):
    proposal = versions.proposal_of(versions.current_version(member.organisation))
    proposal["facts"]["contact_phone"] = phone
    request = change_requests.submit(member.organisation, member, facts=proposal["facts"],
                                     people=proposal["people"], reason="新电话")
    db.session.commit()
    quiet()
    return request


def test_one_request_waits_at_a_time_and_a_stale_one_cannot_be_approved(owner, auditor):
    first = _phone_request(owner, "0791-86660001")
    with pytest.raises(change_requests.RequestPending):
        _phone_request(owner, "0791-86660002")
    change_requests.withdraw(first, owner)
    second = _phone_request(owner, "0791-86660003")
    # the organisation changes by another way (a registry import) while it waits
    versions.record_version(owner.organisation, {**owner.organisation.current_version.facts(),
                                                 "name": "改名后的公司"},
                            versions.proposal_of(owner.organisation.current_version)["people"],
                            actor=auditor, source="registry_import")
    with pytest.raises(change_requests.StaleRequest):
        change_requests.approve(second, auditor)


def test_a_request_that_changes_nothing_is_refused(owner):
    proposal = versions.proposal_of(versions.current_version(owner.organisation))
    with pytest.raises(change_requests.NothingChanged):
        change_requests.submit(owner.organisation, owner, facts=proposal["facts"],
                               people=proposal["people"], reason="无")


def test_the_bank_account_needs_its_bank_and_a_cnaps_code_of_that_bank(owner):
    proposal = versions.proposal_of(versions.current_version(owner.organisation))
    for bank_name, code, field in (("中国工商银行南昌分行", "10242100001", "bank_cnaps_code"),
                                   ("中国建设银行南昌分行", "102421000011", "bank_cnaps_code"),
                                   ("中国工商银行南昌分行", "999421000011", "bank_cnaps_code"),
                                   ("", "102421000011", "bank_name")):
        facts = {**proposal["facts"], "bank_name": bank_name, "bank_cnaps_code": code,
                 "bank_account": "6222 0202 0000 1234 567"}
        with pytest.raises(DomainError) as refused:
            change_requests.submit(owner.organisation, owner, facts=facts,
                                   people=proposal["people"], reason="换开户行")
        assert refused.value.details["field"] == field
    facts = {**proposal["facts"], "bank_name": "中国建设银行南昌八一大道支行",
             "bank_cnaps_code": "105 4210 0030 3", "bank_account": "6222 0202 0000 1234 567"}
    request = change_requests.submit(owner.organisation, owner, facts=facts,
                                     people=proposal["people"], reason="换开户行")
    assert request.proposal["facts"]["bank_cnaps_code"] == "105421000303"


def test_a_tier_change_goes_through_review_against_its_certificate(owner, auditor):
    organisation = owner.organisation
    proposal = versions.proposal_of(versions.current_version(organisation))
    facts = {**proposal["facts"], "firm_tier": "high_tech"}
    with pytest.raises(change_requests.CertificateRequired):
        change_requests.submit(organisation, owner, facts=facts, people=proposal["people"],
                               reason="已认定为高新技术企业")
    valid_to = date.today() + timedelta(days=700)
    request = change_requests.submit(
        organisation, owner, facts=facts, people=proposal["people"], reason="已认定为高新技术企业",
        certificate={"number": "GR202536000888", "valid_from": date.today() - timedelta(days=30),
                     "valid_to": valid_to})
    assert certification.tier_on(organisation.uscc).tier == FirmTier.TECH_SME  # not yet
    change_requests.approve(request, auditor)
    certified = certification.tier_on(organisation.uscc)
    assert (certified.tier, certified.entry.certificate_number, certified.entry.source.value) \
        == (FirmTier.HIGH_TECH, "GR202536000888", "confirmed")
    assert organisation.current_version.tier_certificate_id == certified.entry.id
    # the certificate expires: the next decision is back on the lower tier of the lists
    assert certification.tier_on(organisation.uscc, valid_to + timedelta(days=1)).tier == \
        FirmTier.TECH_SME


def test_people_are_officers_and_shareholders_with_their_share(owner, auditor):
    organisation = owner.organisation
    proposal = versions.proposal_of(versions.current_version(organisation))
    from marketplace.accounts import people
    added = [people.person("officer", "钱董事", title="director", id_kind="resident_id",
                           id_number=resident_id(501)),
             people.person("shareholder", "孙股东", id_kind="resident_id",
                           id_number=resident_id(502), share_bp=6000),
             people.person("shareholder", "某投资有限公司", id_kind="uscc",
                           id_number=AgencyMemberFactory().organisation.uscc, share_bp=4000)]
    request = change_requests.submit(organisation, owner, facts=proposal["facts"],
                                     people=proposal["people"] + added, reason="股东登记")
    change_requests.approve(request, auditor)
    rows = db.session.execute(select(VersionPerson).where(
        VersionPerson.version_id == organisation.current_version_id)
        .order_by(VersionPerson.position)).scalars().all()
    assert [(p.role.value, p.title and p.title.value, p.share_bp) for p in rows] == [
        ("legal_representative", None, None), ("officer", "director", None),
        ("shareholder", None, 6000), ("shareholder", None, 4000)]
    assert all(len(p.id_number_hash) == 64 for p in rows)
    with pytest.raises(DomainError):          # shares above 100%
        change_requests.submit(organisation, owner, facts=proposal["facts"], reason="x",
                               people=proposal["people"] + [dict(added[1], share_bp=10000),
                                                            added[2]])


def test_the_api_asks_and_the_auditor_decides(client, owner, auditor):
    from tests.integration.orders.test_order_api import token_for

    mine = client.get(f"{PREFIX}/organisation", headers=token_for(owner, "o")).get_json()
    assert mine["version"] == 1 and mine["people"][0]["id_number"].count("*") == 10
    assert mine["certified_tier"]["tier"] == "tech_sme"
    body = {key: mine[key] for key in ("name", "uscc", "registered_address", "district_id",
                                       "contact_phone", "bank_name", "bank_cnaps_code",
                                       "bank_account", "firm_tier")}
    body.update(contact_phone="0791-86669999", reason="新号码",
                people=[{"role": "legal_representative", "name": mine["people"][0]["name"]},
                        {"role": "officer", "title": "manager", "name": "周经理",
                         "id_kind": "resident_id", "id_number": resident_id(777)}])
    created = client.post(f"{PREFIX}/organisation/change-requests", json=body,
                          headers=token_for(owner, "o2"))
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert {c["field"] for c in created.get_json()["changes"]} == {"contact_phone"}
    member_view = client.get(f"{PREFIX}/change-requests",
                             headers=token_for(owner, "o3")).get_json()
    assert [r["id"] for r in member_view["items"]] == [request_id]
    decided = client.post(f"{PREFIX}/change-requests/{request_id}/decision",
                          json={"decision": "approve", "comment": "ok"},
                          headers=token_for(auditor, "a"))
    assert decided.status_code == 200 and decided.get_json()["result_version"] == 2
    after = client.get(f"{PREFIX}/organisation", headers=token_for(owner, "o4")).get_json()
    assert after["version"] == 2 and after["contact_phone"] == "0791-86669999"
    # the representative's number was kept without being sent again
    assert after["people"][0]["id_number"] == mine["people"][0]["id_number"]
    again = client.post(f"{PREFIX}/change-requests/{request_id}/decision",
                        json={"decision": "reject", "comment": "x"},
                        headers=token_for(auditor, "a2"))
    assert again.status_code == 409
    assert db.session.query(ChangeRequest).count() == 1


def test_the_auditors_home_page_lists_the_waiting_requests(owner, auditor):
    request = _phone_request(owner, "0791-86660123")
    page = signed_in(auditor).get("/").get_data(as_text=True)
    assert f'href="/identity/changes/{request.id}"' in page
    assert owner.organisation.name in page


def test_an_agency_typing_an_11_digit_cnaps_code_is_told_and_keeps_what_it_typed(app):
    # the bank file needs the payee's 12-digit CNAPS code (联行号): checked where the
    # agency changes its facts, the form coming back as typed
    agency_owner = AgencyMemberFactory(locale="en")
    db.session.commit()
    client = signed_in(agency_owner)
    data = _form(client)
    data.update({"bank_name": "中国建设银行南昌铁路支行", "bank_cnaps_code": "10542100030",
                 "bank_account": "3605 0161 0101 0000 1234", "reason": "开户行变更"})
    response = client.post("/organisation/changes/new", data=data)
    assert response.status_code == 422
    assert "A CNAPS code (联行号) has exactly 12 digits." in errors_of(response)
    page = response.get_data(as_text=True)
    assert 'value="10542100030"' in page and "中国建设银行南昌铁路支行" in page
    assert change_requests.pending_request(agency_owner.organisation) is None


@pytest.mark.parametrize("typed, message", [
    # Decimal reads "NaN", and comparing it raised InvalidOperation: a 500
    ("NaN", "A share in percent, e.g. 25 or 12.5."),
    ("sNaN", "A share in percent, e.g. 25 or 12.5."),
    ("Infinity", "A share in percent, e.g. 25 or 12.5."),
    # 12.340 is two decimals written with three
    ("12.340%", None),
    # a share is kept in basis points: a third decimal was cut off without a word
    ("12.345", "At most two decimals, e.g. 12.34."),
])
def test_a_share_that_is_not_a_percentage_of_two_decimals_is_told_keeping_what_was_typed(
        app, owner, typed, message):
    client = signed_in(owner)
    data = _form(client)
    data.update({"people-1-role": "shareholder", "people-1-name": "孙股东",
                 "people-1-id_kind": "resident_id", "people-1-id_number": resident_id(503),
                 "people-1-share_percent": typed, "reason": "新增股东"})
    response = client.post("/organisation/changes/new", data=data)
    if message is None:      # accepted: the request is made
        assert response.status_code == 302, errors_of(response)
        return
    assert response.status_code == 422, errors_of(response)
    assert message in errors_of(response)
    page = response.get_data(as_text=True)
    assert f'value="{typed}"' in page and "孙股东" in page
    assert change_requests.pending_request(owner.organisation) is None


@pytest.mark.parametrize("tier, typed", [
    ("high_tech", "gr 2024-3600-0777"),            # the case and spacing changed
    ("high_tech", "ＧＲ２０２４３６０００７７７"),   # full width
    ("benchmark_high_tech", "GR202436000777"),     # the same number, claimed for a tier above
])
def test_another_firms_certificate_is_refused_however_it_is_written(owner, auditor, tier,
                                                                    typed):
    from tests.support.identity import certify

    certify(FirmMemberFactory().organisation, FirmTier.HIGH_TECH, number="GR202436000777")
    organisation = owner.organisation
    proposal = versions.proposal_of(versions.current_version(organisation))
    request = change_requests.submit(
        organisation, owner, facts={**proposal["facts"], "firm_tier": tier},
        people=proposal["people"], reason="已认定",
        certificate={"number": typed, "valid_from": date.today() - timedelta(days=30),
                     "valid_to": date.today() + timedelta(days=700)})
    with pytest.raises(DomainError) as refused:
        change_requests.approve(request, auditor)
    assert refused.value.code == "certificate_of_another"
    assert certification.tier_on(organisation.uscc).tier == FirmTier.TECH_SME
