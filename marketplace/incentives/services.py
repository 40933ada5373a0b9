"""The year's reward list: gathered from the contract registry, computed under the year's
rules (incentives.computation), reviewed by a supervisor other than the auditor who
computed it, then recorded as paid with the payment's reference. Services flush and never
commit; each step is audited and announced through the outbox."""
import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from marketplace.accounts.models import District, Organisation, User
from marketplace.core import audit, outbox, yearly_rules
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.rows import for_update, hold_key
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.incentives import computation
from marketplace.incentives.computation import Contract, Party
from marketplace.incentives.models import (IncentiveRules, ListStatus, RewardExclusion,
                                           RewardLine, RewardList)
from marketplace.incentives.related import related_party_fields
from marketplace.orders.models import TechContract
from marketplace.turnover.models import ContractRegistration as CR
from marketplace.turnover.models import RegistrationKind, RegistrationStatus


class RewardsAlreadyDecided(Conflict):
    code = "rewards_decided"
    default_message = _l("This year's reward list is already approved; it can no longer be "
                         "computed again.")


class YearNotEnded(Conflict):
    code = "year_not_ended"
    default_message = _l("A year's reward list is approved once the year has ended: its "
                         "later contracts would otherwise earn nothing.")


class SameReviewer(PermissionDenied):
    code = "four_eyes"
    default_message = _l("The reward list must be approved by someone other than the "
                         "person who computed it.")


def rules_for(year):
    return yearly_rules.rules_for(IncentiveRules, year)


def set_rules(year, actor, values, note=None):
    return yearly_rules.set_rules(IncentiveRules, year, actor, values, note)


def rules_of(reward_list):
    """The rules a list was computed with: the version it records, or the defaults
    (version 0) when no version was in force then; never the year's rules as they stand
    now, which the admin may have changed since."""
    if reward_list.rules is not None:
        return reward_list.rules
    return IncentiveRules(year=reward_list.year, version=0, **IncentiveRules.DEFAULTS)


# --- the registry's contracts of a year ---------------------------------------------------

def contracts_of(year):
    """The contracts whose original was registered and confirmed in ``year`` with the
    seller in the city (those that count toward the turnover), each with its net
    technical amount as registered so far; then those of earlier years with an amendment
    or a cancellation registered in ``year``, which count for the registration office
    only (their parties' rewards were their own year's)."""
    adjusted_in_year = select(CR.contract_number).where(
        CR.kind != RegistrationKind.ORIGINAL, CR.registered_year == year,
        CR.status == RegistrationStatus.CONFIRMED)
    originals = db.session.execute(
        select(CR.contract_number, CR.buyer_name, CR.buyer_org_id, CR.seller_name,
               CR.seller_org_id, CR.seller_district_id, User.organisation_id.label("broker"),
               TechContract.buyer_version_id, TechContract.seller_version_id,
               CR.registered_year)
        .outerjoin(User, User.id == CR.broker_user_id)
        .outerjoin(TechContract, TechContract.id == CR.tech_contract_id)
        .where(CR.kind == RegistrationKind.ORIGINAL,
               (CR.registered_year == year) | ((CR.registered_year < year)
                                               & CR.contract_number.in_(adjusted_in_year)),
               CR.status == RegistrationStatus.CONFIRMED, CR.seller_in_city.is_(True))
        .order_by(CR.registered_year.desc(), CR.registered_on, CR.id)).all()
    numbers = [row.contract_number for row in originals]
    totals = {}
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        for row in db.session.execute(
                select(CR.contract_number, func.sum(CR.technical_amount_fen),
                       func.max(case((CR.kind == RegistrationKind.CANCELLATION, 1), else_=0)),
                       func.sum(case((CR.registered_year == year, 1), else_=0)))
                .where(CR.contract_number.in_(chunk),
                       CR.status == RegistrationStatus.CONFIRMED)
                .group_by(CR.contract_number)):
            totals[row[0]] = (int(row[1] or 0), bool(row[2]), int(row[3] or 0))
    organisation_ids = {i for row in originals
                        for i in (row.buyer_org_id, row.seller_org_id, row.broker) if i}
    organisations = {o.id: o for o in db.session.execute(select(Organisation).where(
        Organisation.id.in_(organisation_ids))).scalars()} if organisation_ids else {}
    districts = {d.id: d for d in db.session.execute(select(District)).scalars()}
    found = []
    for row in originals:
        technical, cancelled, registrations = totals[row.contract_number]
        buyer = organisations.get(row.buyer_org_id)
        seller = organisations.get(row.seller_org_id)
        broker = organisations.get(row.broker)
        district = districts.get(row.seller_district_id)
        found.append(Contract(
            number=row.contract_number, technical_fen=technical, cancelled=cancelled,
            registrations=registrations, earlier_year=row.registered_year < year,
            seller=Party(seller.name if seller else row.seller_name, row.seller_org_id),
            buyer=Party(buyer.name if buyer else row.buyer_name, row.buyer_org_id),
            broker=Party(broker.name, broker.id) if broker else None,
            office=Party(district.name_zh, district_id=district.id) if district else None,
            related_fields=tuple(related_party_fields(
                buyer, seller, (row.buyer_version_id, row.seller_version_id)))))
    return found


# --- the list -----------------------------------------------------------------------------

def live_list(year):
    return db.session.execute(select(RewardList).where(
        RewardList.year == year, RewardList.status != ListStatus.DISCARDED)
    ).scalar_one_or_none()


# core.rows.hold_key's namespace: one computation of a year's list at a time
_COMPUTE_LOCK_NAMESPACE = 7_100_021


def compute_list(year, actor, today=None):
    """Compute the year's list afresh; a list not yet approved is replaced (discarded)."""
    today = today or date.today()
    if year > today.year:
        raise ValidationFailed(_l("A year that has not begun has no rewards."),
                               details={"field": "year"})
    # two computations at once (a double click, two auditors) would each find no live
    # list, and the second insert would break the one-live-list index: the second waits
    # here, then finds the first's list and replaces it
    hold_key(_COMPUTE_LOCK_NAMESPACE, year)
    previous = live_list(year)
    if previous is not None:
        previous = db.session.execute(for_update(select(RewardList).where(
            RewardList.id == previous.id).execution_options(populate_existing=True),
            of=RewardList)).scalar_one()
        if previous.status != ListStatus.COMPUTED:
            raise RewardsAlreadyDecided(details={"list_id": previous.id})
        transition(previous, "discard", actor=actor)
        db.session.flush()
    rules = rules_for(year)
    lines, exclusions = computation.compute(contracts_of(year), rules)
    reward_list = RewardList(
        year=year, rules_id=rules.id, rules_version=rules.version,
        status=ListStatus.COMPUTED, computed_by_id=actor.id, computed_dt=now_utc(),
        total_fen=sum(line.amount_fen for line in lines),
        contracts_counted=len({item[0] for line in lines for item in line.items}),
        contracts_excluded=len(exclusions))
    db.session.add(reward_list)
    db.session.flush()
    db.session.add_all([RewardLine(
        list_id=reward_list.id, role=line.role, organisation_id=line.party.organisation_id,
        district_id=line.party.district_id, beneficiary_name=line.party.name,
        contracts=line.contracts, registrations=line.registrations,
        basis_fen=line.basis_fen, computed_fen=line.computed_fen, cap_fen=line.cap_fen,
        amount_fen=line.amount_fen, basis=json.dumps(line.items)) for line in lines])
    db.session.add_all([RewardExclusion(
        list_id=reward_list.id, contract_number=item.contract.number, reason=item.reason,
        seller_name=item.contract.seller.name, buyer_name=item.contract.buyer.name,
        technical_amount_fen=item.contract.technical_fen,
        detail=json.dumps({"shared": list(item.contract.related_fields)}))
        for item in exclusions])
    db.session.flush()
    audit.record(reward_list, "compute", actor=actor, after=ListStatus.COMPUTED,
                 data={"year": year, "rules_version": rules.version,
                       "total_fen": reward_list.total_fen, "lines": len(lines),
                       "excluded": len(exclusions),
                       "replaces": previous.id if previous is not None else None})
    return reward_list


def _locked(reward_list):
    db.session.flush()
    return db.session.execute(for_update(select(RewardList).where(
        RewardList.id == reward_list.id).execution_options(populate_existing=True),
        of=RewardList)).scalar_one()


def approve(reward_list, actor, today=None):
    """Make the list final (it can no longer be computed again) and show each
    organisation its line; refused for a year still running."""
    reward_list = _locked(reward_list)
    if reward_list.year >= (today or date.today()).year:
        raise YearNotEnded(details={"year": reward_list.year})
    if reward_list.computed_by_id == actor.id:
        raise SameReviewer()
    transition(reward_list, "approve", actor=actor, data={"total_fen": reward_list.total_fen})
    reward_list.approved_by_id, reward_list.approved_dt = actor.id, now_utc()
    outbox.emit("incentives.published", list_id=reward_list.id)
    db.session.flush()
    return reward_list


def record_paid(reward_list, actor, reference):
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(_l("Give the payment's reference."),
                               details={"field": "reference"})
    reward_list = _locked(reward_list)
    transition(reward_list, "pay", actor=actor, data={"reference": reference,
                                                      "total_fen": reward_list.total_fen})
    reward_list.payment_reference = reference
    reward_list.paid_by_id, reward_list.paid_dt = actor.id, now_utc()
    outbox.emit("incentives.paid", list_id=reward_list.id)
    db.session.flush()
    return reward_list


def lines_query(list_id, role=None):
    query = select(RewardLine).where(RewardLine.list_id == list_id)
    if role is not None:
        query = query.where(RewardLine.role == role)
    return query.order_by(RewardLine.amount_fen.desc(), RewardLine.id)


def exclusions_query(list_id):
    return select(RewardExclusion).where(RewardExclusion.list_id == list_id) \
        .order_by(RewardExclusion.reason, RewardExclusion.contract_number, RewardExclusion.id)


def lines_of_organisation(organisation_id):
    """An organisation's lines of the approved or paid lists, the latest year first."""
    return (select(RewardLine).join(RewardList)
            .where(RewardLine.organisation_id == organisation_id,
                   RewardList.status.in_((ListStatus.APPROVED, ListStatus.PAID)))
            .order_by(RewardList.year.desc(), RewardLine.role))
