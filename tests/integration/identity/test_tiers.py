"""A firm's tier comes from the certification lists, cited by the decisions that use it:
the application's eligibility, the approval's cap, the contract's share. An expired
certificate lowers the tier at the next decision."""
from datetime import date, timedelta

import pytest

from marketplace.accounts.models import FirmTier
from marketplace.extensions import db
from marketplace.integrity.models import CertificationEntry
from marketplace.orders import services as orders
from marketplace.vouchers import rules as eligibility
from marketplace.vouchers import services as vouchers
from tests.factories import (FirmMemberFactory, make_application, make_offering,
                             make_programme, make_quoted_order, staff)
from tests.support.identity import certify

SHARES = {"share_bp_tech_sme": 3000, "share_bp_high_tech": 5000, "share_bp_benchmark": 7000}


def test_the_eligibility_cites_the_list_and_the_certificate():
    member = FirmMemberFactory(organisation__firm_tier=FirmTier.HIGH_TECH)
    application = make_application(make_programme(), member)
    [tier_set] = [c for c in application.eligibility_results if c["rule"] == "tier_set"]
    certificate = db.session.query(CertificationEntry).one()
    assert tier_set["passed"] and tier_set["params"]["certificate"] == \
        certificate.certificate_number
    text = eligibility.describe(tier_set)
    assert certificate.certificate_number in text and "高新技术企业名单" in text
    [cap] = [c for c in application.eligibility_results if c["rule"] == "within_tier_cap"]
    assert cap["params"]["tier"] == "high_tech"


def test_a_declared_tier_without_a_certificate_is_not_eligible():
    member = FirmMemberFactory(organisation__firm_tier=None)
    member.organisation.firm_tier = FirmTier.BENCHMARK_HIGH_TECH   # its own word, no list
    with pytest.raises(vouchers.Ineligible) as refused:
        make_application(make_programme(), member)
    assert "tier_set" in {f["rule"] for f in refused.value.details["failed"]}


def test_an_expired_certificate_lowers_the_tier_at_the_next_decision():
    member = FirmMemberFactory(organisation__firm_tier=FirmTier.TECH_SME)
    organisation = member.organisation
    high = certify(organisation, FirmTier.HIGH_TECH, number="GR-HIGH-1")
    programme = make_programme()
    application = make_application(programme, member, requested_fen=250_000_00)  # high cap
    high.valid_to = date.today() - timedelta(days=1)      # it expires before the decision
    db.session.flush()
    with pytest.raises(vouchers.AmountNotAllowed) as refused:
        vouchers.decide_application(application, actor=staff("auditor"), decision="approve")
    assert refused.value.details["max_fen"] == 200_000_00     # the tech SME cap now


def test_the_contract_share_is_the_tier_of_the_lists_on_the_signing_day():
    member = FirmMemberFactory(organisation__firm_tier=FirmTier.TECH_SME)
    programme = make_programme(rules=SHARES)
    application = make_application(programme, member)
    voucher = vouchers.decide_application(application, actor=staff("auditor"),
                                          decision="approve")
    certify(member.organisation, FirmTier.BENCHMARK_HIGH_TECH, number="GR-BENCH-1")
    member.organisation.firm_tier = FirmTier.TECH_SME       # the row says otherwise
    order = make_quoted_order(make_offering(price_fen=100_000_00), member)
    contract = orders.sign_contract(order, member, voucher_id=voucher.id)
    assert contract.share_bp == 7000                        # the benchmark list's share
    assert contract.buyer_version_id == member.organisation.current_version_id
    assert contract.seller_version_id == order.agency.organisation.current_version_id


def test_without_a_valid_certificate_the_voucher_cannot_pay():
    member = FirmMemberFactory(organisation__firm_tier=FirmTier.TECH_SME)
    voucher = vouchers.decide_application(make_application(make_programme(), member),
                                          actor=staff("auditor"), decision="approve")
    for entry in db.session.query(CertificationEntry).all():
        entry.valid_to = date.today() - timedelta(days=1)
    order = make_quoted_order(make_offering(price_fen=100_000_00), member)
    with pytest.raises(orders.VoucherNotUsable) as refused:
        orders.sign_contract(order, member, voucher_id=voucher.id)
    assert refused.value.code == "tier_not_certified"
    contract = orders.sign_contract(order, member)          # without the voucher it may
    assert contract.voucher_part_fen == 0


def test_the_contract_names_the_parties_as_they_were_signed():
    from tests.integration.claims.builders import signed_in
    from tests.support.identity import change_facts

    member = FirmMemberFactory(organisation__firm_tier=FirmTier.TECH_SME)
    voucher = vouchers.decide_application(make_application(make_programme(), member),
                                          actor=staff("auditor"), decision="approve")
    order = make_quoted_order(make_offering(price_fen=100_000_00), member)
    orders.sign_contract(order, member, voucher_id=voucher.id)
    signed_name = member.organisation.name
    change_facts(member.organisation, name="改名后的科技有限公司")
    db.session.commit()
    page = signed_in(member).get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"{signed_name} · {member.organisation.uscc} · 第 1 版" in page
    assert "改名后的科技有限公司 ·" not in page
