"""The registry's pages: registration by hand (typed values kept on error), the auditor's
decision (four eyes, reasons, the registrant told), amendments and cancellations that change
what a contract counts, the list's filters and who sees which contracts."""
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders.models import ContractType
from marketplace.turnover.models import (ContractRegistration, RegistrationKind,
                                         RegistrationSource, RegistrationStatus)
from marketplace.turnover.registry import registration, review
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.turnover.registry_builders import person, quiet, settle, signed_in


def district(name="东湖区"):
    return db.session.execute(select(District).where(District.name_zh == name)).scalar_one()


def form_data(**changes):
    data = {"contract_number": "JX2026-0001", "contract_type": "development",
            "party": "seller", "counterparty": "江西某某制造有限公司",
            "seller_district": str(district().id), "contract_amount": "1,200,000.50",
            "technical_amount": "900000", "field": "new_energy",
            "signed_on": (date.today() - timedelta(days=5)).isoformat(),
            "registered_on": date.today().isoformat(), "note": "线下签订"}
    data.update(changes)
    return data


def imported(number, buyer_org=None, seller_org=None, *, on=None, kind="development",
             technical=500_000_00, seller_district=None, in_city=True):
    on = on or date.today()
    return registration.register_original(
        contract_number=number, contract_type=ContractType(kind),
        contract_amount_fen=technical + 100_000_00, technical_amount_fen=technical,
        buyer_name=buyer_org.name if buyer_org else "某买方", seller_name=seller_org.name
        if seller_org else "某卖方", buyer_org_id=buyer_org.id if buyer_org else None,
        seller_org_id=seller_org.id if seller_org else None,
        seller_district_id=seller_district.id if seller_district else None,
        seller_in_city=in_city, field_code="agriculture", signed_on=on, registered_on=on,
        source=RegistrationSource.IMPORT)


def test_an_agency_registers_by_hand_and_an_auditor_confirms_it_and_the_agency_hears():
    member = AgencyMemberFactory(locale="en")
    auditor = person("auditor")
    quiet()
    browser = signed_in(member)
    refused = browser.post("/contracts/new", data=form_data(technical_amount="2000000"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "cannot exceed the contract amount" in page
    assert 'value="1,200,000.50"' in page and 'value="JX2026-0001"' in page   # kept
    response = browser.post("/contracts/new", data=form_data())
    assert response.status_code == 302
    row = db.session.execute(select(ContractRegistration)).scalar_one()
    assert row.status == RegistrationStatus.PENDING and row.source == RegistrationSource.MANUAL
    assert (row.contract_amount_fen, row.technical_amount_fen) == (120_000_050, 90_000_000)
    assert row.seller_org_id == member.organisation_id and row.buyer_org_id is None
    assert row.seller_name == member.organisation.name and row.seller_in_city
    again = browser.post("/contracts/new", data=form_data())
    assert again.status_code == 409 and "already registered" in again.get_data(as_text=True)
    settle()
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == auditor.id)) == "registration_to_review"

    reviewer = signed_in(auditor)
    assert reviewer.post(f"/contracts/{row.id}/decision",
                         data={"decision": "reject"}).status_code == 422   # no reason
    assert reviewer.post(f"/contracts/{row.id}/decision",
                         data={"decision": "confirm"}).status_code == 302
    settle()
    row = db.session.get(ContractRegistration, row.id)
    assert row.status == RegistrationStatus.CONFIRMED and row.decided_by_id == auditor.id
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == member.id)) == "registration_confirmed"
    assert db.session.execute(select(AuditRecord.action).where(
        AuditRecord.object_type == "ContractRegistration",
        AuditRecord.object_id == str(row.id)).order_by(AuditRecord.id)).scalars().all() \
        == ["register", "confirm"]
    assert reviewer.post(f"/contracts/{row.id}/decision",
                         data={"decision": "confirm"}).status_code == 409


def test_an_auditor_cannot_decide_a_registration_they_made_and_a_rejection_keeps_its_reason():
    firm_member = FirmMemberFactory()
    auditor, other_auditor = person("auditor"), person("auditor")
    original = imported("JX-7", buyer_org=firm_member.organisation)
    amendment = review.register_adjustment_by_hand(
        auditor, original, kind="amendment", contract_amount_fen=700_000_00,
        technical_amount_fen=650_000_00, note="补充协议")
    quiet()
    assert signed_in(auditor).post(f"/contracts/{amendment.id}/decision",
                                   data={"decision": "confirm"}).status_code == 403
    response = signed_in(other_auditor).post(
        f"/contracts/{amendment.id}/decision",
        data={"decision": "reject", "reason": "未附补充协议"})
    assert response.status_code == 302
    db.session.expire_all()
    amendment = db.session.get(ContractRegistration, amendment.id)
    assert amendment.status == RegistrationStatus.REJECTED
    assert amendment.rejection_reason == "未附补充协议"
    assert registration.remaining_amounts(original.id) == (600_000_00, 500_000_00)


def test_amendment_and_cancellation_from_the_contract_page_change_what_it_counts():
    firm_member = FirmMemberFactory(locale="en")
    auditor = person("auditor")
    original = imported("JX-9", buyer_org=firm_member.organisation, technical=400_000_00)
    quiet()
    party = signed_in(firm_member)
    refused = party.post(f"/contracts/{original.id}/adjustments",
                         data={"kind": "amendment", "contract_amount": "300000",
                               "technical_amount": "350000", "note": "变更"})
    assert refused.status_code == 422
    assert party.post(f"/contracts/{original.id}/adjustments", data={
        "kind": "amendment", "contract_amount": "600000", "technical_amount": "450000",
        "note": "补充协议"}).status_code == 302
    amendment = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.sequence == 1)).scalar_one()
    assert amendment.kind == RegistrationKind.AMENDMENT
    assert (amendment.contract_amount_fen, amendment.technical_amount_fen) == \
        (100_000_00, 50_000_00)          # the signed change, not the new total
    review.decide(amendment, auditor, "confirm")
    quiet()
    page = party.get(f"/contracts/{original.id}").get_data(as_text=True)
    assert "¥450,000.00" in page and 'data-status="confirmed"' in page
    assert party.post(f"/contracts/{original.id}/adjustments", data={
        "kind": "cancellation", "note": "合同解除"}).status_code == 302
    cancellation = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.sequence == 2)).scalar_one()
    assert (cancellation.contract_amount_fen, cancellation.technical_amount_fen) == \
        (-600_000_00, -450_000_00)
    review.decide(cancellation, auditor, "confirm")
    quiet()
    assert registration.remaining_amounts(original.id) == (0, 0)
    shown = party.get(f"/contracts/{cancellation.id}").get_data(as_text=True)
    assert "JX-9" in shown and shown.count('data-status="confirmed"') == 3


def test_the_list_filters_and_each_party_sees_only_its_own_contracts():
    firm_member = FirmMemberFactory(locale="en")
    agency_member = AgencyMemberFactory(locale="en")
    supervisor = person("supervisor")
    gaoxin = district("南昌高新技术产业开发区")
    imported("F-1", buyer_org=firm_member.organisation, seller_org=agency_member.organisation,
             seller_district=gaoxin)
    imported("F-2", buyer_org=firm_member.organisation, kind="service",
             on=date(date.today().year - 1, 6, 1), in_city=False)
    imported("O-3", seller_district=district())
    quiet()

    def numbers(browser, query=""):
        page = browser.get("/contracts" + query)
        assert page.status_code == 200
        return {n for n in ("F-1", "F-2", "O-3") if f">{n}</a>" in page.get_data(as_text=True)}

    bureau = signed_in(supervisor)
    assert numbers(bureau) == {"F-1", "F-2", "O-3"}
    assert numbers(bureau, f"?year={date.today().year}") == {"F-1", "O-3"}
    assert numbers(bureau, "?type=service") == {"F-2"}
    assert numbers(bureau, f"?district={gaoxin.id}") == {"F-1"}
    assert numbers(bureau, "?district=outside") == {"F-2"}
    assert numbers(bureau, "?source=manual") == set()
    assert numbers(bureau, "?status=confirmed&q=o-") == {"O-3"}
    assert numbers(bureau, "?q=" + agency_member.organisation.name[:6]) == {"F-1"}
    assert numbers(signed_in(firm_member)) == {"F-1", "F-2"}
    assert numbers(signed_in(agency_member)) == {"F-1"}
    other = db.session.execute(select(ContractRegistration.id).where(
        ContractRegistration.contract_number == "O-3")).scalar_one()
    assert signed_in(agency_member).get(f"/contracts/{other}").status_code == 404
