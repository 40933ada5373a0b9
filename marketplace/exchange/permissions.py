"""Who may do what on the technology exchange: one named predicate per rule."""
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import (is_admin, is_agency_member, is_firm_member,
                                              is_reviewer)
from marketplace.core.permissions import predicate
from marketplace.exchange.models import (BrokeredMatch, BrokerProfile, ListingStatus,
                                         MatchStatus)
from marketplace.extensions import db

OPEN_THREAD = (MatchStatus.ACCEPTED, MatchStatus.CONTRACTED, MatchStatus.ORDERED)


def _bureau(user):
    return is_reviewer(user) or is_admin(user)


def _member_of(user, organisation_id):
    return user is not None and organisation_id is not None \
        and user.organisation_id == organisation_id


# --- results ------------------------------------------------------------------------------

@predicate
def can_manage_results(user, obj=None):
    """Agency members list their agency's results (publishing needs admission)."""
    return is_agency_member(user)


@predicate
def can_edit_result(user, result):
    return result is not None and is_agency_member(user) \
        and _member_of(user, result.agency_id)


@predicate
def can_view_result(user, result):
    """A published result of an admitted agency is public; others for their agency and the
    bureau."""
    from marketplace.exchange.services import is_result_visible
    return result is not None and (is_result_visible(result) or can_edit_result(user, result)
                                   or _bureau(user))


# --- demands ------------------------------------------------------------------------------

@predicate
def can_post_demands(user, obj=None):
    return is_firm_member(user)


@predicate
def can_browse_demands(user, obj=None):
    """Agencies browse the published demands; firms their own; the bureau all of them."""
    return is_agency_member(user) or is_firm_member(user) or _bureau(user)


@predicate
def can_edit_demand(user, demand):
    return demand is not None and is_firm_member(user) and _member_of(user, demand.firm_id)


@predicate
def can_view_demand(user, demand):
    return demand is not None and (
        can_edit_demand(user, demand) or _bureau(user)
        or (is_agency_member(user) and demand.status == ListingStatus.PUBLISHED))


@predicate
def can_see_demand_firm(user, demand):
    """The firm's name is shown to its own members and the bureau, and to an agency only
    once the firm has accepted to talk about one of its results (or the agency brokered
    that match)."""
    if demand is None or user is None:
        return False
    if can_edit_demand(user, demand) or _bureau(user):
        return True
    if not is_agency_member(user):
        return False
    return db.session.execute(
        select(BrokeredMatch.id).where(
            BrokeredMatch.demand_id == demand.id,
            BrokeredMatch.firm_accepted_dt.is_not(None),
            (BrokeredMatch.broker_agency_id == user.organisation_id)
            | BrokeredMatch.result.has(agency_id=user.organisation_id))
        .limit(1)).first() is not None


# --- brokers ------------------------------------------------------------------------------

@predicate
def is_broker(user, obj=None):
    if not is_agency_member(user):
        return False
    profile = db.session.get(BrokerProfile, user.id)
    return profile is not None and profile.is_active \
        and profile.agency_id == user.organisation_id


@predicate
def can_manage_brokers(user, obj=None):
    """An agency's owner marks its own members; the bureau marks any agency member."""
    return (is_agency_member(user) and user.is_owner) or _bureau(user)


@predicate
def can_mark_broker(user, member):
    if member is None or member.role != Role.AGENCY_MEMBER or not can_manage_brokers(user):
        return False
    return _bureau(user) or _member_of(user, member.organisation_id)


# --- matches ------------------------------------------------------------------------------

def _firm_side(user, match):
    return is_firm_member(user) and _member_of(user, match.demand.firm_id)


def _agency_side(user, match):
    return is_agency_member(user) and _member_of(user, match.result.agency_id)


@predicate
def can_propose_match(user, obj=None):
    return is_broker(user)


@predicate
def can_view_match(user, match):
    """The two parties and the broker; nobody else reads the conversation."""
    return match is not None and user is not None and (
        user.id == match.broker_id or _firm_side(user, match) or _agency_side(user, match))


@predicate
def can_list_matches(user, obj=None):
    return is_agency_member(user) or is_firm_member(user)


@predicate
def can_answer_match(user, match):
    if match is None or match.status != MatchStatus.PROPOSED:
        return False
    return (_firm_side(user, match) and match.firm_accepted_dt is None) or \
        (_agency_side(user, match) and match.agency_accepted_dt is None)


@predicate
def can_withdraw_match(user, match):
    """The broker takes back a proposal while it still waits for the parties' answers."""
    return match is not None and user is not None and \
        match.status == MatchStatus.PROPOSED and user.id == match.broker_id


@predicate
def can_post_message(user, match):
    return can_view_match(user, match) and match.status in OPEN_THREAD


@predicate
def can_register_deal(user, match):
    """The broker or the result's agency registers the contract of an accepted match."""
    return match is not None and match.status == MatchStatus.ACCEPTED and user is not None \
        and (user.id == match.broker_id or _agency_side(user, match))


@predicate
def can_order_deal(user, match):
    """The firm turns an accepted match into an order of one of the agency's offerings."""
    return match is not None and match.status == MatchStatus.ACCEPTED \
        and _firm_side(user, match)
