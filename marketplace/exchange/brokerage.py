"""Brokers, the matches they propose, the conversation and the deal. Services flush and
never commit; notifications leave through the outbox (see tasks.py)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.agencies.models import AgencyProfile
from marketplace.catalogue import scorecards
from marketplace.catalogue.models import Offering
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.states import transition
from marketplace.core.storage import store
from marketplace.core.timeutil import now_utc
from marketplace.exchange import permissions as perms
from marketplace.exchange.models import (BrokeredMatch, BrokerProfile, ExchangeMessage,
                                         ListingStatus, MatchStatus)
from marketplace.exchange.services import is_result_visible
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import ContractType
from marketplace.turnover.models import RegistrationSource
from marketplace.turnover.registry import registration


class AlreadyProposed(Conflict):
    code = "match_already_proposed"
    default_message = _l("This result has already been proposed for this demand.")


class ListingClosed(Conflict):
    code = "listing_not_published"
    default_message = _l("Both the demand and the result must be published.")


class AgencyNotInRegistry(Conflict):
    code = "agency_not_in_registry"
    default_message = _l("Only members of an agency in the registry can be technology "
                         "brokers.")


class NoOfferingForDeal(Conflict):
    code = "no_offering_for_deal"
    default_message = _l("Choose one of the agency's offerings in the catalogue; if it has "
                         "none, register the contract directly.")


def _refresh_scorecard(agency_id):
    if db.session.get(AgencyProfile, agency_id) is not None:
        scorecards.refresh(agency_id)


# --- brokers ------------------------------------------------------------------------------

def set_broker(actor, member, is_broker):
    """Mark an agency member as a technology broker, or unmark them."""
    if not perms.can_mark_broker(actor, member):
        raise PermissionDenied(details={"rule": perms.can_mark_broker.name})
    if db.session.get(AgencyProfile, member.organisation_id) is None:
        raise AgencyNotInRegistry(details={"field": "email"})
    profile = db.session.get(BrokerProfile, member.id)
    if profile is None:
        if not is_broker:
            return None
        profile = BrokerProfile(user_id=member.id, agency_id=member.organisation_id,
                                marked_by_id=actor.id, is_active=True)
        db.session.add(profile)
    else:
        profile.is_active = bool(is_broker)
        profile.agency_id = member.organisation_id
        profile.marked_by_id = actor.id
    db.session.flush()
    audit.record(profile, "mark_broker" if is_broker else "unmark_broker", actor=actor,
                 data={"user_id": member.id, "agency_id": member.organisation_id})
    return profile


def brokers_of(agency_id=None):
    statement = select(BrokerProfile).where(BrokerProfile.is_active.is_(True))
    if agency_id is not None:
        statement = statement.where(BrokerProfile.agency_id == agency_id)
    return db.session.execute(statement.order_by(BrokerProfile.user_id)).scalars().all()


# --- matches ------------------------------------------------------------------------------

def propose_match(broker, demand, result, note):
    if not perms.can_propose_match(broker):
        raise PermissionDenied(details={"rule": perms.can_propose_match.name})
    if demand.status != ListingStatus.PUBLISHED or not is_result_visible(result):
        raise ListingClosed()
    note = (note or "").strip()
    if not 5 <= len(note) <= 2000:
        raise ValidationFailed(_l("Tell both parties in a few words why they fit "
                                  "(5 to 2000 characters)."), details={"field": "note"})
    exists = db.session.execute(select(BrokeredMatch.id).where(
        BrokeredMatch.demand_id == demand.id, BrokeredMatch.result_id == result.id)).first()
    if exists:
        raise AlreadyProposed(details={"match_id": exists[0]})
    match = BrokeredMatch(demand_id=demand.id, result_id=result.id, broker_id=broker.id,
                          broker_agency_id=broker.organisation_id, note=note,
                          status=MatchStatus.PROPOSED)
    db.session.add(match)
    db.session.flush()
    audit.record(match, "propose", actor=broker, after=match.status,
                 data={"demand_id": demand.id, "result_id": result.id})
    outbox.emit("exchange.match_proposed", match_id=match.id)
    _refresh_scorecard(match.broker_agency_id)
    return match


def answer_match(match, actor, accept):
    """One side's answer. A refusal by either ends the proposal; the second yes opens the
    conversation."""
    if not perms.can_answer_match(actor, match):
        raise PermissionDenied(details={"rule": perms.can_answer_match.name})
    side = "firm" if actor.role == Role.FIRM_MEMBER else "agency"
    if not accept:
        transition(match, "decline", actor=actor, data={"side": side})
        db.session.flush()
        outbox.emit("exchange.match_declined", match_id=match.id, side=side)
        return match
    now = now_utc()
    if side == "firm":
        match.firm_accepted_by_id, match.firm_accepted_dt = actor.id, now
    else:
        match.agency_accepted_by_id, match.agency_accepted_dt = actor.id, now
    audit.record(match, f"accept_{side}", actor=actor)
    if match.firm_accepted_dt is not None and match.agency_accepted_dt is not None:
        transition(match, "accept", actor=actor)
        match.accepted_dt = now
        outbox.emit("exchange.match_accepted", match_id=match.id)
        _refresh_scorecard(match.broker_agency_id)
    db.session.flush()
    return match


def withdraw_match(match, actor):
    """The broker takes the proposal back before both parties have accepted; whoever it
    was proposed to is told."""
    if actor.id != match.broker_id:
        raise PermissionDenied(details={"rule": perms.can_withdraw_match.name})
    transition(match, "withdraw", actor=actor)
    db.session.flush()
    outbox.emit("exchange.match_withdrawn", match_id=match.id)
    return match


def matches_for(user):
    """The matches a user takes part in (as a party or the broker), newest first."""
    from marketplace.exchange.models import TechDemand, TechResult
    statement = select(BrokeredMatch).join(TechDemand).join(TechResult)
    if user.role == Role.FIRM_MEMBER:
        statement = statement.where(TechDemand.firm_id == user.organisation_id)
    else:
        statement = statement.where((TechResult.agency_id == user.organisation_id)
                                    | (BrokeredMatch.broker_id == user.id))
    return statement.order_by(BrokeredMatch.created_dt.desc(), BrokeredMatch.id.desc())


# --- the conversation ---------------------------------------------------------------------

def post_message(match, author, body, upload=None):
    """A message, with an optional file (content-checked and size-limited by store())."""
    if not perms.can_post_message(author, match):
        raise PermissionDenied(details={"rule": perms.can_post_message.name})
    body = (body or "").strip()
    if not 1 <= len(body) <= 5000:
        raise ValidationFailed(_l("Write a message (at most 5000 characters)."),
                               details={"field": "body"})
    message = ExchangeMessage(match_id=match.id, author_id=author.id, body=body)
    if upload is not None and getattr(upload, "filename", None):
        stored = store(upload.stream, upload.filename, field="attachment")
        message.storage_name = stored["storage_name"]
        message.original_name = stored["original_name"]
        message.content_type = stored["content_type"]
        message.size_bytes = stored["size_bytes"]
        message.sha256 = stored["sha256"]
    db.session.add(message)
    db.session.flush()
    outbox.emit("exchange.message_posted", message_id=message.id)
    return message


# --- the deal -----------------------------------------------------------------------------

def deal_number(match, year):
    return f"JY{year}-EX{match.id:06d}"


def register_deal(match, actor, *, contract_type, contract_amount_fen, technical_amount_fen,
                  signed_on, today=None):
    """Register the accepted match's contract directly (技术合同认定登记): it counts toward
    turnover at once, with the broker recorded."""
    if not perms.can_register_deal(actor, match):
        raise PermissionDenied(details={"rule": perms.can_register_deal.name})
    today = today or date.today()
    if contract_amount_fen is None or contract_amount_fen <= 0:
        raise ValidationFailed(_l("The contract amount must be positive."),
                               details={"field": "contract_amount"})
    if technical_amount_fen is None or not 0 <= technical_amount_fen <= contract_amount_fen:
        raise ValidationFailed(_l("The technical transaction amount must be between zero and "
                                  "the contract amount."),
                               details={"field": "technical_amount"})
    if signed_on is None or signed_on > today:
        raise ValidationFailed(_l("The signing date cannot be in the future."),
                               details={"field": "signed_on"})
    # a contract signed before the broker proposed the match was not brokered by it (and
    # would count toward the broker's brokerage and reward); the proposal's UTC day, so
    # the local day of a proposal made after midnight is never refused
    if signed_on < match.created_dt.date():
        raise ValidationFailed(_l("The contract was signed before the broker proposed this "
                                  "match (%(day)s): it was not brokered through it.",
                                  day=match.created_dt.date().isoformat()),
                               details={"field": "signed_on"})
    seller = db.session.get(AgencyProfile, match.result.agency_id)
    buyer = match.demand.firm
    record = registration.register_original(
        contract_number=deal_number(match, signed_on.year),
        contract_type=ContractType(contract_type), contract_amount_fen=contract_amount_fen,
        technical_amount_fen=technical_amount_fen, buyer_name=buyer.name,
        buyer_org_id=buyer.id, buyer_district_id=buyer.district_id,
        seller_name=seller.organisation.name, seller_org_id=seller.organisation_id,
        seller_district_id=seller.organisation.district_id if seller.in_city else None,
        seller_in_city=seller.in_city, field_code=match.result.field_code,
        signed_on=signed_on, registered_on=today, source=RegistrationSource.EXCHANGE,
        broker_user_id=match.broker_id, actor=actor,
        note=f"exchange match #{match.id}")
    match.registration_id = record.id
    transition(match, "register_contract", actor=actor,
               data={"registration_id": record.id,
                     "technical_amount_fen": technical_amount_fen})
    db.session.flush()
    outbox.emit("exchange.deal_registered", match_id=match.id)
    _refresh_scorecard(match.broker_agency_id)
    return record


def deal_offerings(match):
    """The result agency's offerings a firm may order for this deal (visible ones)."""
    from marketplace.catalogue.services import is_visible
    found = db.session.execute(select(Offering).where(
        Offering.agency_id == match.result.agency_id).order_by(Offering.id)).scalars().all()
    return [offering for offering in found if is_visible(offering)]


def order_deal(match, firm_member, offering_id, message):
    """Turn the accepted match into an order of one of the agency's offerings; the agency
    then quotes through the orders flow (with or without a voucher)."""
    if not perms.can_order_deal(firm_member, match):
        raise PermissionDenied(details={"rule": perms.can_order_deal.name})
    offering = next((o for o in deal_offerings(match) if o.id == offering_id), None)
    if offering is None:
        raise NoOfferingForDeal(details={"field": "offering_id"})
    text = (message or "").strip() or match.demand.title
    order = orders.request_order(firm_member=firm_member, offering=offering,
                                 message=f"{text}\n[{match.result.title}]")
    match.order_id = order.id
    transition(match, "order", actor=firm_member, data={"order_id": order.id})
    db.session.flush()
    _refresh_scorecard(match.broker_agency_id)
    return order
