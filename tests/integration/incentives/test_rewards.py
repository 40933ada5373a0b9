"""The year's reward list from the contract registry: the rules applied per role, the
exclusions (related parties, cancellations, amendments to zero), the review by a second
person, the payment's record, the export, and each organisation's own line."""
import io
from datetime import date

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.extensions import db
from marketplace.incentives import exports, services
from marketplace.incentives import permissions as perms
from marketplace.incentives.models import ExclusionReason, ListStatus, RewardRole
from marketplace.notifications.models import Notification
from marketplace.orders.models import ContractType
from marketplace.turnover.models import RegistrationKind, RegistrationSource
from marketplace.turnover.registry import registration
from tests.factories import AgencyMemberFactory, FirmFactory, FirmMemberFactory, staff
from tests.integration.claims.test_claim_workflow import settle

YEAR = date.today().year - 1


def register(number, seller, buyer, technical_fen, *, broker=None, year=YEAR,
             seller_in_city=True, source=RegistrationSource.IMPORT):
    return registration.register_original(
        contract_number=number, contract_type=ContractType.DEVELOPMENT,
        contract_amount_fen=technical_fen, technical_amount_fen=technical_fen,
        buyer_name=buyer.name, buyer_org_id=buyer.id, seller_name=seller.name,
        seller_org_id=seller.id, seller_district_id=seller.district_id,
        seller_in_city=seller_in_city, field_code="new_materials",
        signed_on=date(year, 3, 1), registered_on=date(year, 3, 10), source=source,
        broker_user_id=broker.id if broker else None)


@pytest.fixture
def parties():
    seller = AgencyMemberFactory()
    return {"seller": seller.organisation, "seller_member": seller,
            "buyer": FirmFactory(), "broker": AgencyMemberFactory()}


def lines_by_role(reward_list):
    return {(line.role, line.organisation_id or line.district_id): line
            for line in db.session.execute(services.lines_query(reward_list.id)).scalars()}


def test_the_list_rewards_seller_broker_and_office_by_the_years_rules(auditor, parties):
    seller, buyer = parties["seller"], parties["buyer"]
    register("C-1", seller, buyer, 1_000_000_00, broker=parties["broker"])
    register("C-2", seller, buyer, 500_000_00)
    registration.register_adjustment("C-2", kind=RegistrationKind.AMENDMENT,
                                     contract_delta_fen=100_000_00,
                                     technical_delta_fen=100_000_00,
                                     source=RegistrationSource.IMPORT,
                                     registered_on=date(YEAR, 6, 1))
    register("C-OUT", seller, buyer, 900_000_00, seller_in_city=False)   # not the city's
    register("C-NEXT", seller, buyer, 900_000_00, year=YEAR + 1)         # another year
    reward_list = services.compute_list(YEAR, auditor)
    found = lines_by_role(reward_list)
    seller_line = found[(RewardRole.SELLER, seller.id)]
    assert (seller_line.contracts, seller_line.basis_fen) == (2, 1_600_000_00)
    assert seller_line.amount_fen == 16_000_00                         # 1%
    assert found[(RewardRole.BROKER, parties["broker"].organisation_id)].amount_fen == 2_000_00
    office = found[(RewardRole.REGISTRATION_OFFICE, seller.district_id)]
    assert (office.registrations, office.amount_fen) == (3, 300_00)    # 2 originals + 1
    assert reward_list.total_fen == 16_000_00 + 2_000_00 + 300_00
    assert (reward_list.contracts_counted, reward_list.contracts_excluded) == (2, 0)


def test_related_cancelled_and_zeroed_contracts_are_excluded(auditor, parties):
    seller, buyer = parties["seller"], parties["buyer"]
    related = FirmFactory(contact_phone=seller.contact_phone)
    register("C-REL", seller, related, 300_000_00)
    register("C-CAN", seller, buyer, 200_000_00)
    registration.register_adjustment("C-CAN", kind=RegistrationKind.CANCELLATION,
                                     contract_delta_fen=0, technical_delta_fen=0,
                                     source=RegistrationSource.IMPORT,
                                     registered_on=date(YEAR, 8, 1))
    register("C-ZERO", seller, buyer, 100_000_00)
    registration.register_adjustment("C-ZERO", kind=RegistrationKind.AMENDMENT,
                                     contract_delta_fen=0, technical_delta_fen=-100_000_00,
                                     source=RegistrationSource.IMPORT,
                                     registered_on=date(YEAR, 8, 1))
    register("C-OK", seller, buyer, 100_000_00)
    reward_list = services.compute_list(YEAR, auditor)
    excluded = {x.contract_number: x for x in db.session.execute(
        services.exclusions_query(reward_list.id)).scalars()}
    assert {n: x.reason for n, x in excluded.items()} == {
        "C-REL": ExclusionReason.RELATED_PARTY, "C-CAN": ExclusionReason.CANCELLED,
        "C-ZERO": ExclusionReason.AMENDED_TO_ZERO}
    assert excluded["C-REL"].detail_dict == {"shared": ["contact_phone"]}
    [seller_line] = [line for line in lines_by_role(reward_list).values()
                     if line.role == RewardRole.SELLER]
    assert seller_line.items == [["C-OK", 100_000_00, 1_000_00]]


def test_the_rules_may_let_related_parties_earn(auditor, parties):
    seller = parties["seller"]
    register("C-REL", seller, FirmFactory(bank_account=seller.bank_account), 300_000_00)
    rules = services.rules_for(YEAR)
    services.set_rules(YEAR, staff("admin"), {**rules.values(),
                                              "excludes_related_parties": 0})
    reward_list = services.compute_list(YEAR, auditor)
    assert reward_list.contracts_excluded == 0 and reward_list.rules_version == 1


def test_a_second_person_approves_and_the_payment_is_recorded_with_its_reference(
        auditor, parties):
    register("C-1", parties["seller"], parties["buyer"], 1_000_000_00)
    first = services.compute_list(YEAR, auditor)
    again = services.compute_list(YEAR, auditor)            # replaces the computed one
    assert first.status == ListStatus.DISCARDED and again.status == ListStatus.COMPUTED
    assert not perms.can_approve_rewards(auditor, again)
    supervisor = staff("supervisor")
    with pytest.raises(InvalidTransition):
        services.record_paid(again, supervisor, "HC-1")       # not approved yet
    services.approve(again, supervisor)
    with pytest.raises(services.RewardsAlreadyDecided):
        services.compute_list(YEAR, auditor)
    with pytest.raises(ValidationFailed):
        services.record_paid(again, supervisor, " ")
    services.record_paid(again, supervisor, "HC-JL-001")
    assert (again.status, again.payment_reference) == (ListStatus.PAID, "HC-JL-001")
    settle(again)
    # Both messages wait in the outbox until settle(); which one is handled first is the
    # relay's business, so the test asks for one of each, not for an order.
    kinds = sorted(n.kind for n in db.session.query(Notification).filter_by(
        user_id=parties["seller_member"].id))
    assert kinds == ["reward_paid", "reward_published"]


def test_the_computer_cannot_approve_their_own_list(parties):
    register("C-1", parties["seller"], parties["buyer"], 1_000_000_00)
    supervisor = staff("supervisor")
    reward_list = services.compute_list(YEAR, supervisor)
    with pytest.raises(services.SameReviewer):
        services.approve(reward_list, supervisor)


def test_an_organisation_sees_its_own_line_once_the_list_is_approved(auditor, parties):
    register("C-1", parties["seller"], parties["buyer"], 1_000_000_00)
    reward_list = services.compute_list(YEAR, auditor)
    [line] = [line for line in lines_by_role(reward_list).values()
              if line.role == RewardRole.SELLER]
    member = parties["seller_member"]
    assert not perms.can_view_reward_line(member, line)
    services.approve(reward_list, staff("supervisor"))
    assert perms.can_view_reward_line(member, line)
    assert not perms.can_view_reward_line(FirmMemberFactory(), line)
    assert db.session.execute(services.lines_of_organisation(
        member.organisation_id)).scalars().all() == [line]


def test_the_export_lists_every_line_and_exclusion(auditor, parties):
    seller = parties["seller"]
    register("C-1", seller, parties["buyer"], 1_000_000_00)
    register("C-REL", seller, FirmFactory(contact_phone=seller.contact_phone), 10_000_00)
    reward_list = services.compute_list(YEAR, auditor)
    with force_locale("en"):
        workbook = load_workbook(io.BytesIO(exports.reward_list_xlsx(reward_list, "en")))
    lines, excluded = workbook.worksheets
    rows = list(lines.values)
    assert rows[0][:2] == ("Role", "Beneficiary")
    assert ("seller", seller.name) in {row[:2] for row in rows[1:]}
    assert rows[-1][0] == "Total" and float(rows[-1][-1]) == reward_list.total_fen / 100
    assert [row[:2] for row in list(excluded.values)[1:]] == [("C-REL", "related parties")]


def test_a_year_not_begun_has_no_list(auditor):
    with pytest.raises(ValidationFailed):
        services.compute_list(date.today().year + 1, auditor)


def test_the_list_and_a_line_explain_the_rules_that_computed_them_not_later_ones(
        app, auditor, parties):
    """Computed under the default rules (1% for the seller), approved, and then the admin
    sets 3% for that year: the list and the seller's line still say 1%, the rules they
    were computed with (the figures are 1%)."""
    from tests.conftest import login

    register("C-1", parties["seller"], parties["buyer"], 1_000_000_00)
    reward_list = services.compute_list(YEAR, auditor)
    assert reward_list.rules_id is None and reward_list.rules_version == 0
    services.approve(reward_list, staff("supervisor"))
    services.set_rules(YEAR, staff("admin"), {**services.rules_for(YEAR).values(),
                                              "seller_rate_bp": 300})
    [line] = [line for line in lines_by_role(reward_list).values()
              if line.role == RewardRole.SELLER]
    assert line.amount_fen == 10_000_00
    db.session.commit()
    client = app.test_client()
    login(client, parties["seller_member"].email)
    shown = client.get(f"/incentives/lines/{line.id}", headers={"Accept-Language": "en"})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "1.00%" in text and "3.00%" not in text
    bureau = app.test_client()
    login(bureau, auditor.email)
    text = bureau.get(f"/incentives?year={YEAR}").get_data(as_text=True)
    assert "1.00%" in text and "3.00%" not in text


@pytest.mark.postgres
def test_two_computations_of_a_year_sent_at_once_leave_one_live_list(app, auditor, parties):
    """A double click on "compute" (or two auditors at once) for a year with no list yet:
    both found none and the second insert hit the one-live-list index, a 500. Now the
    second waits for the first and replaces it, as a later computation does."""
    from marketplace.accounts.models import User
    from marketplace.incentives.models import RewardList
    from tests.support.races import at_once

    register("C-1", parties["seller"], parties["buyer"], 1_000_000_00)
    db.session.commit()
    auditor_id = auditor.id

    def load():
        return (db.session.get(User, auditor_id),)

    for _round in range(3):
        outcomes = at_once(app, [(load, lambda user: services.compute_list(YEAR, user))] * 2)
        assert outcomes == ["ok", "ok"], outcomes
        db.session.expire_all()
        assert db.session.query(RewardList).filter(
            RewardList.year == YEAR, RewardList.status != ListStatus.DISCARDED).count() == 1
        for live in db.session.query(RewardList).filter_by(status=ListStatus.COMPUTED):
            live.status = ListStatus.DISCARDED     # the next round starts without a list
        db.session.commit()


def test_a_platform_contract_of_parties_related_when_they_signed_stays_excluded(auditor):
    """The firm shared the agency's contact phone when it signed (the versions the
    contract pinned) and changed it before the rewards were computed: the contract is
    still between related parties, as the claims' check reads it (pinned and current
    facts), and earns no reward."""
    from marketplace.orders import services as orders
    from tests.factories import make_agency_profile, make_offering, make_quoted_order
    from tests.support.identity import change_facts

    agency_member = AgencyMemberFactory()
    offering = make_offering(make_agency_profile(agency_member))
    firm_member = FirmMemberFactory()
    firm, agency = firm_member.organisation, agency_member.organisation
    change_facts(firm, contact_phone=agency.contact_phone)
    order = make_quoted_order(offering, firm_member, contract_amount_fen=100_000_00,
                              technical_amount_fen=80_000_00)
    orders.sign_contract(order, firm_member)
    change_facts(firm, contact_phone="0791-86660000")      # after signing
    reward_list = services.compute_list(date.today().year, auditor)
    excluded = db.session.execute(services.exclusions_query(reward_list.id)).scalars().all()
    assert [(x.contract_number, x.reason) for x in excluded] == [
        (order.contract.number, ExclusionReason.RELATED_PARTY)]
    assert reward_list.total_fen == 0


@pytest.mark.postgres
def test_the_years_rules_saved_twice_at_once_make_one_version(app):
    """A double click on "save the rules": both read the same latest version and the
    second insert broke the (year, version) key, a 500."""
    from marketplace.accounts.models import User
    from marketplace.incentives.models import IncentiveRules
    from tests.support.races import at_once

    admin = staff("admin")
    db.session.commit()
    admin_id, values = admin.id, {**services.rules_for(YEAR).values(), "seller_rate_bp": 200}

    outcomes = at_once(app, [(lambda: (db.session.get(User, admin_id),),
                              lambda user: services.set_rules(YEAR, user, values))] * 2)
    assert outcomes == ["ok", "ok"], outcomes
    db.session.expire_all()
    assert db.session.query(IncentiveRules).filter_by(year=YEAR).count() == 1


def test_an_amendment_registered_in_the_year_earns_its_office_even_for_an_earlier_contract(
        auditor, parties):
    """The registration office earns per registration in the year, amendments included
    (2 originals + 1 amendment earn 3 above); an amendment registered this year of a
    contract registered last year is one of this year's registrations too, or the office
    is never rewarded for it. The contract earns its seller nothing again."""
    seller, buyer = parties["seller"], parties["buyer"]
    register("C-OLD", seller, buyer, 500_000_00, year=YEAR - 1)
    registration.register_adjustment("C-OLD", kind=RegistrationKind.AMENDMENT,
                                     contract_delta_fen=50_000_00,
                                     technical_delta_fen=50_000_00,
                                     source=RegistrationSource.IMPORT,
                                     registered_on=date(YEAR, 2, 1))
    register("C-NEW", seller, buyer, 1_000_000_00)
    found = lines_by_role(services.compute_list(YEAR, auditor))
    office = found[(RewardRole.REGISTRATION_OFFICE, seller.district_id)]
    assert (office.registrations, office.amount_fen) == (2, 200_00)
    seller_line = found[(RewardRole.SELLER, seller.id)]
    assert (seller_line.contracts, seller_line.amount_fen) == (1, 10_000_00)


def test_the_list_of_a_year_still_running_may_be_computed_but_not_approved(auditor, parties):
    """Computing this year's list shows where it stands; approving it would make it final
    (it cannot be computed again) while the year's later contracts are still to come, and
    they would never earn their reward."""
    this_year = date.today().year
    register("C-NOW", parties["seller"], parties["buyer"], 1_000_000_00, year=this_year)
    reward_list = services.compute_list(this_year, auditor)
    with pytest.raises(services.YearNotEnded):
        services.approve(reward_list, staff("supervisor"))
    assert reward_list.status == ListStatus.COMPUTED
    services.approve(reward_list, staff("supervisor"), today=date(this_year + 1, 1, 2))
    assert reward_list.status == ListStatus.APPROVED
