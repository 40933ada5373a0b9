"""Brokers and matches: who marks brokers, answers, declines, the order path of a deal."""
import pytest

from marketplace.core.errors import InvalidTransition, PermissionDenied
from marketplace.exchange import brokerage
from marketplace.exchange import permissions as perms
from marketplace.exchange.models import MatchStatus
from marketplace.extensions import db
from marketplace.orders.models import OrderStatus
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, make_agency_profile,
                             make_offering, staff)
from tests.integration.exchange.builders import make_broker, make_demand, make_result


def _accepted(result=None):
    result = result or make_result()
    demand = make_demand()
    broker = make_broker()
    match = brokerage.propose_match(broker, demand, result, "双方技术对口")
    brokerage.answer_match(match, demand.firm.members[0], True)
    assert match.status == MatchStatus.PROPOSED         # one yes is not enough
    brokerage.answer_match(match, result.agency.organisation.members[0], True)
    return match


def test_an_agency_owner_marks_only_its_own_members_and_the_bureau_any():
    owner = AgencyMemberFactory(is_owner=True)
    make_agency_profile(owner, status="submitted")
    colleague = AgencyMemberFactory(organisation=owner.organisation, is_owner=False)
    stranger = AgencyMemberFactory()
    make_agency_profile(stranger)
    unregistered = AgencyMemberFactory()
    with pytest.raises(brokerage.AgencyNotInRegistry):
        brokerage.set_broker(staff("admin"), unregistered, True)
    brokerage.set_broker(owner, colleague, True)
    assert perms.is_broker(colleague)
    with pytest.raises(PermissionDenied):
        brokerage.set_broker(owner, stranger, True)
    with pytest.raises(PermissionDenied):
        brokerage.set_broker(colleague, colleague, True)     # not the owner
    with pytest.raises(PermissionDenied):
        brokerage.set_broker(owner, FirmMemberFactory(), True)   # not an agency member
    brokerage.set_broker(owner, colleague, False)
    assert not perms.is_broker(colleague)


def test_only_a_broker_proposes_and_a_pair_is_proposed_once():
    result, demand = make_result(), make_demand()
    with pytest.raises(PermissionDenied):
        brokerage.propose_match(result.agency.organisation.members[0], demand, result,
                                "双方技术对口")
    broker = make_broker()
    brokerage.propose_match(broker, demand, result, "双方技术对口")
    with pytest.raises(brokerage.AlreadyProposed):
        brokerage.propose_match(make_broker(), demand, result, "再次推荐该成果")


def test_a_refusal_ends_the_proposal_and_no_thread_opens():
    result, demand = make_result(), make_demand()
    match = brokerage.propose_match(make_broker(), demand, result, "双方技术对口")
    brokerage.answer_match(match, result.agency.organisation.members[0], False)
    assert match.status == MatchStatus.DECLINED
    with pytest.raises(PermissionDenied):
        brokerage.answer_match(match, demand.firm.members[0], True)
    with pytest.raises(PermissionDenied):
        brokerage.post_message(match, demand.firm.members[0], "还在吗")


def test_an_accepted_match_becomes_an_order_of_the_agencys_offering_with_a_quote_to_come():
    profile = make_agency_profile(AgencyMemberFactory())
    offering = make_offering(profile, title="科技成果转移转化全程服务", category_code="transfer")
    match = _accepted(make_result(profile))
    firm_member = match.demand.firm.members[0]
    with pytest.raises(PermissionDenied):       # the agency does not order from itself
        brokerage.order_deal(match, profile.organisation.members[0], offering.id, "")
    with pytest.raises(brokerage.NoOfferingForDeal):
        brokerage.order_deal(match, firm_member, make_offering().id, "")  # another agency's
    order = brokerage.order_deal(match, firm_member, offering.id, "按推荐成果开展转化")
    assert order.status == OrderStatus.REQUESTED and order.agency_id == profile.organisation_id
    assert match.status == MatchStatus.ORDERED and match.order_id == order.id
    with pytest.raises(PermissionDenied):       # a deal is made once
        brokerage.register_deal(match, match.broker, contract_type="transfer",
                                contract_amount_fen=1, technical_amount_fen=1,
                                signed_on=None)


def test_a_deal_with_wrong_amounts_is_refused_and_nothing_registered():
    match = _accepted()
    from datetime import date, timedelta
    from marketplace.core.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        brokerage.register_deal(match, match.broker, contract_type="transfer",
                                contract_amount_fen=100_00, technical_amount_fen=200_00,
                                signed_on=date.today())
    with pytest.raises(ValidationFailed):
        brokerage.register_deal(match, match.broker, contract_type="transfer",
                                contract_amount_fen=100_00, technical_amount_fen=50_00,
                                signed_on=date.today() + timedelta(days=1))
    assert match.status == MatchStatus.ACCEPTED and match.registration_id is None
    db.session.rollback()


def test_a_closed_listing_cannot_be_reopened_twice():
    from marketplace.exchange import services
    result = make_result()
    actor = result.agency.organisation.members[0]
    services.change_result_status(result, actor, "close")
    with pytest.raises(InvalidTransition):
        services.change_result_status(result, actor, "close")


def test_the_firm_orders_the_deal_from_the_match_page(app):
    from tests.conftest import login
    profile = make_agency_profile(AgencyMemberFactory())
    offering = make_offering(profile, title="科技成果转移转化全程服务", category_code="transfer")
    match = _accepted(make_result(profile))
    firm_member = match.demand.firm.members[0]
    db.session.commit()
    client = app.test_client()
    login(client, firm_member.email)
    page = client.get(f"/exchange/matches/{match.id}").get_data(as_text=True)
    assert offering.title in page
    refused = client.post(f"/exchange/matches/{match.id}/order", data={"offering_id": "0"})
    assert refused.status_code == 422                  # not one of the agency's offerings
    response = client.post(f"/exchange/matches/{match.id}/order",
                           data={"offering_id": str(offering.id), "message": "请报价"})
    assert response.status_code == 302 and "/orders/" in response.location
    db.session.expire_all()
    assert match.status == MatchStatus.ORDERED


def test_the_broker_withdraws_a_waiting_proposal_after_confirming_and_the_parties_are_told(
        client):
    from marketplace.core.audit import AuditRecord
    from marketplace.notifications.models import Notification
    from tests.factories import TEST_PASSWORD

    result, demand = make_result(), make_demand()
    broker = make_broker()
    match = brokerage.propose_match(broker, demand, result, "双方技术对口")
    firm_member = demand.firm.members[0]
    brokerage.answer_match(match, firm_member, True)          # one side said yes already
    db.session.commit()
    assert perms.can_withdraw_match(broker, match)
    assert not perms.can_withdraw_match(firm_member, match)
    client.post("/login", data={"email": broker.email, "password": TEST_PASSWORD})
    page = client.get(f"/exchange/matches/{match.id}")
    assert b'data-testid="withdraw"' in page.data
    unconfirmed = client.post(f"/exchange/matches/{match.id}/withdraw", data={})
    assert unconfirmed.status_code == 422
    db.session.expire_all()
    assert db.session.get(type(match), match.id).status == MatchStatus.PROPOSED
    done = client.post(f"/exchange/matches/{match.id}/withdraw", data={"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    match = db.session.get(type(match), match.id)
    assert match.status == MatchStatus.WITHDRAWN
    assert db.session.query(AuditRecord).filter_by(
        object_type="BrokeredMatch", object_id=str(match.id), action="withdraw").count() == 1
    told = {n.user_id for n in db.session.query(Notification).filter_by(
        kind="exchange_match_withdrawn")}
    assert firm_member.id in told and broker.id not in told
    assert result.agency.organisation.members[0].id in told
    # nothing left to answer, and no second withdrawal
    assert not perms.can_answer_match(firm_member, match)
    again = client.post(f"/exchange/matches/{match.id}/withdraw", data={"confirm": "y"})
    assert again.status_code == 403


def test_an_accepted_match_cannot_be_withdrawn():
    match = _accepted()
    assert not perms.can_withdraw_match(match.broker, match)
    with pytest.raises(InvalidTransition):
        brokerage.withdraw_match(match, match.broker)
