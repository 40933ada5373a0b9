"""The claim checks an investigator would make: a related party through a person on the
facts pinned at signing, sister agencies counted as one seller in a split, the earlier
claim of a split flagged by the later one, duplicate invoices in any spelling, prices far
above the list; thresholds from the contract's own rule version; and a claim checked
again when a party's change is approved during its review."""
import json
from datetime import date

import pytest

from marketplace.accounts import change_requests, versions
from marketplace.claims import services
from marketplace.claims.models import CheckResult, ClaimStatus
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from marketplace.vouchers import services as vouchers
from tests.support.copay import record_paid_copay
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, make_agency_profile,
                             make_offering, make_programme, make_quoted_order, make_voucher,
                             staff)
from tests.integration.claims.test_claim_workflow import accepted_claim, settle
from tests.support.identity import add_people, change_facts, person, resident_id


def result(claim, name):
    check = next(c for c in services.checks_of(claim) if c.name == name)
    return check.result, json.loads(check.evidence)


def offering_of(agency_member=None, price_fen=100_000_00):
    return make_offering(make_agency_profile(agency_member or AgencyMemberFactory()),
                         price_fen=price_fen)


def test_a_shared_legal_representative_hidden_after_signing_is_found_on_the_pinned_facts(
        auditor):
    firm_member = FirmMemberFactory()
    offering = offering_of()
    agency = offering.agency.organisation
    shared_number = resident_id(firm_member.organisation.id)       # the firm's own
    change_facts(agency, people_list=[person("legal_representative", "张 伟",
                                             id_number=shared_number)])
    claim = accepted_claim(firm_member, offering=offering)
    # after delivery the agency names another legal representative
    change_facts(agency, people_list=[person("legal_representative", "李新", 8801)])
    claim = settle(claim)
    outcome, evidence = result(claim, "related_party")
    assert outcome == CheckResult.BLOCK and claim.is_blocked
    [match] = evidence["matches"]
    assert match["kind"] == "person" and match["found_on"] == ["pinned",
                                                               "current_firm_pinned_agency"]
    assert match["agency"]["name"] == "张 伟" and "*" in match["agency"]["id_number"]
    assert evidence["agency"]["pinned"]["version"] == 2
    assert evidence["agency"]["current"]["version"] == 3


def test_an_officer_of_the_firm_who_holds_shares_in_the_agency(auditor):
    firm_member = FirmMemberFactory()
    offering = offering_of()
    add_people(firm_member.organisation, person("officer", "钱监事", 8802, title="supervisor"))
    add_people(offering.agency.organisation,
               person("shareholder", "钱监事", 8802, share_bp=5100))
    outcome, evidence = result(settle(accepted_claim(firm_member, offering=offering)),
                               "related_party")
    assert outcome == CheckResult.BLOCK
    assert (evidence["matches"][0]["firm"]["title"],
            evidence["matches"][0]["agency"]["share_bp"]) == ("supervisor", 5100)


def test_a_namesake_with_another_number_passes_and_a_name_without_one_is_flagged(auditor):
    firm_member = FirmMemberFactory()
    offering = offering_of()
    add_people(firm_member.organisation, person("officer", "王伟", 8803, title="manager"))
    add_people(offering.agency.organisation, person("officer", "王伟", 8804, title="manager"))
    claim = settle(accepted_claim(firm_member, offering=offering))
    assert result(claim, "related_party")[0] == CheckResult.PASS
    second = FirmMemberFactory()
    add_people(second.organisation, person("shareholder", "王伟", None, share_bp=1000))
    claim = settle(accepted_claim(second, offering=offering, invoice="FP-2"))
    outcome, evidence = result(claim, "related_party")
    assert outcome == CheckResult.FLAG and evidence["matches"][0]["strength"] == "name_only"


def _contract(firm_member, voucher, offering, amount_fen, signed_on=None):
    order = make_quoted_order(offering, firm_member, contract_amount_fen=amount_fen)
    return orders.sign_contract(order, firm_member, voucher_id=voucher.id, today=signed_on)


def _claim_of(contract, invoice):
    order = contract.order
    record_paid_copay(order)
    fulfilment.deliver(order, order.offering.agency.organisation.members[0], summary="交付",
                       invoice_number=invoice, invoice_amount_fen=contract.contract_amount_fen,
                       invoice_date=date.today())
    return fulfilment.accept(order, contract.order.firm.members[0])


def test_sister_agencies_sharing_a_person_count_as_one_seller_and_flag_the_earlier_claim(
        auditor):
    firm_member = FirmMemberFactory()
    voucher = make_voucher(make_programme(rules={"single_order_max_fen": 60_000_00}),
                           amount_fen=200_000_00, firm_member=firm_member)
    first, sister = offering_of(), offering_of()
    shared = person("legal_representative", "赵总", 8805)
    change_facts(first.agency.organisation, people_list=[shared])
    change_facts(sister.agency.organisation,
                 people_list=[person("legal_representative", "另一人", 8806),
                              dict(shared, role="shareholder", share_bp=8000)])
    earlier = settle(_claim_of(_contract(firm_member, voucher, first, 100_000_00), "FP-71"))
    assert result(earlier, "split_order")[0] == CheckResult.PASS     # alone, for now
    later = settle(_claim_of(_contract(firm_member, voucher, sister, 100_000_00), "FP-72"))
    outcome, evidence = result(later, "split_order")
    assert outcome == CheckResult.FLAG and evidence["total_voucher_part_fen"] == 100_000_00
    assert evidence["sellers_counted_as_one"][0]["person"] == "赵总"
    db.session.expire_all()
    earlier = db.session.get(type(earlier), earlier.id)
    assert earlier.check_round == 2 and earlier.is_flagged
    assert result(earlier, "split_order")[0] == CheckResult.FLAG
    assert db.session.query(Notification).filter_by(kind="claim_recheck_found").count() >= 1


def test_the_split_window_and_maximum_are_the_contracts_own_rule_version(auditor):
    firm_member = FirmMemberFactory()
    programme = make_programme(rules={"single_order_max_fen": 60_000_00,
                                      "split_window_days": 30})
    voucher = make_voucher(programme, amount_fen=200_000_00, firm_member=firm_member)
    offering = offering_of()
    _contract(firm_member, voucher, offering, 100_000_00)
    contract = _contract(firm_member, voucher, offering, 100_000_00)
    # the programme's rules change after signing: the contract keeps the version it had
    vouchers.update_programme(programme, actor=staff("admin"),
                              rules={"single_order_max_fen": 500_000_00})
    outcome, evidence = result(settle(_claim_of(contract, "FP-81")), "split_order")
    assert outcome == CheckResult.FLAG
    assert (evidence["single_order_max_fen"], evidence["window_days"],
            evidence["rule_version"]) == (60_000_00, 30, 1)


def test_an_invoice_seen_before_in_any_spelling_is_refused_at_delivery_and_at_the_claim(
        auditor):
    claim = settle(accepted_claim(invoice="36007788"))
    assert result(claim, "duplicate_invoice")[0] == CheckResult.PASS
    second = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=200_000_00, firm_member=second)
    contract = _contract(second, voucher, offering_of(), 100_000_00)
    record_paid_copay(contract.order)
    for spelling in ("No. 3600 7788", "发票号码：３６００７７８８", "FP-36007788",
                     "Invoice No. 3600 7788"):
        with pytest.raises(fulfilment.DuplicateInvoice):
            fulfilment.deliver(contract.order, contract.order.offering.agency.organisation
                               .members[0], summary="交付", invoice_number=spelling,
                               invoice_amount_fen=100_000_00, invoice_date=date.today())
    # the same invoice registered afterwards with another contract (an import)
    from tests.integration.identity.test_list_imports import csv_bytes
    from marketplace.turnover.imports.importer import import_file
    from tests.integration.turnover.registry_builders import HEADER_ZH, good_rows

    rows = [row + ["NO.3600-7788"] for row in good_rows(1, prefix="DUP")]
    import_file(__import__("io").BytesIO(csv_bytes(rows, HEADER_ZH + ["发票号码"])), "r.csv",
                auditor)
    claim = settle(db.session.get(type(claim), claim.id))
    from marketplace.claims import rechecks
    rechecks.start(claim.id, "test")
    claim = settle(claim)
    outcome, evidence = result(claim, "duplicate_invoice")
    assert outcome == CheckResult.BLOCK and evidence["normalised"] == "36007788"
    assert evidence["other_uses"][0]["invoice_number"] == "NO.3600-7788"


def test_a_price_far_above_the_list_or_the_category_is_flagged_with_the_comparison(auditor):
    offering = offering_of(price_fen=20_000_00)
    outcome, evidence = result(settle(accepted_claim(offering=offering)), "price")
    assert outcome == CheckResult.FLAG and evidence["above_list"]
    assert evidence["listed"]["limit_fen"] == 30_000_00       # 150% of the listed price
    near = offering_of(price_fen=80_000_00)                   # 100,000 is 125%: passes
    assert result(settle(accepted_claim(offering=near, invoice="FP-9")), "price")[0] == \
        CheckResult.PASS


def test_an_approved_change_during_review_checks_the_claim_again(auditor):
    firm_member = FirmMemberFactory()
    offering = offering_of()
    claim = settle(accepted_claim(firm_member, offering=offering))
    assert claim.status == ClaimStatus.FIRST_REVIEW and not claim.is_blocked
    agency = offering.agency.organisation
    proposal = versions.proposal_of(versions.current_version(agency))
    proposal["facts"]["contact_phone"] = "+86 " + firm_member.organisation.contact_phone
    request = change_requests.submit(agency, agency.members[0], facts=proposal["facts"],
                                     people=proposal["people"], reason="新电话")
    change_requests.approve(request, auditor)
    claim = settle(claim)
    assert (claim.status, claim.check_round, claim.rechecked_round) == (
        ClaimStatus.FIRST_REVIEW, 2, 2)
    assert claim.is_blocked
    outcome, evidence = result(claim, "related_party")
    assert outcome == CheckResult.BLOCK and evidence["matches"][0]["found_on"] == [
        "current", "pinned_firm_current_agency"]
    assert db.session.query(Notification).filter_by(kind="claim_recheck_found").count() == 1


def test_one_address_written_with_the_country_and_province_is_a_related_party(auditor):
    """The agency's address names the country and the province (中国江西…) or drops the
    province's 省: it is still the firm's address. A version recorded before the rule
    learnt a spelling is compared by the rule of today, not by its stored key."""
    firm_member = FirmMemberFactory()
    change_facts(firm_member.organisation, registered_address="南昌市东湖区八一大道333号")
    for spelling in ("中国江西省南昌市东湖区八一大道333号", "江西南昌市东湖区八一大道 333 号"):
        offering = offering_of()
        version = change_facts(offering.agency.organisation, registered_address=spelling)
        version.address_key = spelling          # a key stored by an earlier rule
        db.session.flush()
        outcome, evidence = result(settle(accepted_claim(firm_member, offering=offering,
                                                         invoice=f"FP-{offering.id}")),
                                   "related_party")
        assert outcome == CheckResult.BLOCK, spelling
        assert evidence["matches"][0]["kind"] == "registered_address"
        assert evidence["matches"][0]["normalised"]["value"] == "八一大道333"


def test_an_agency_and_the_agency_it_owns_count_as_one_seller(auditor):
    """The parent agency holds shares in the second (its shareholder, named by its credit
    code): a job split between the two is split as much as one between sisters."""
    from marketplace.accounts import people
    from tests.integration.claims.builders import signed_in

    firm_member = FirmMemberFactory()
    voucher = make_voucher(make_programme(rules={"single_order_max_fen": 60_000_00}),
                           amount_fen=200_000_00, firm_member=firm_member)
    parent, owned = offering_of(), offering_of()
    add_people(owned.agency.organisation, people.person(
        "shareholder", parent.agency.organisation.name, id_kind="uscc",
        id_number=parent.agency.organisation.uscc, share_bp=10000))
    settle(_claim_of(_contract(firm_member, voucher, parent, 100_000_00), "FP-81"))
    later = settle(_claim_of(_contract(firm_member, voucher, owned, 100_000_00), "FP-82"))
    outcome, evidence = result(later, "split_order")
    assert outcome == CheckResult.FLAG and evidence["total_voucher_part_fen"] == 100_000_00
    [link] = evidence["sellers_counted_as_one"]
    assert link["person"] == parent.agency.organisation.name
    assert {link["role"], link["other_role"]} == {"organisation", "shareholder"}
    client = signed_in(auditor)
    page = client.get(f"/claims/{later.id}").get_data(as_text=True)
    assert "The organisation itself" in page or "本单位" in page
