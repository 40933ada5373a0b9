"""Broker activity: on each agency's scorecard and, per broker, for the bureau's dashboard.

Counts: matches proposed, matches accepted by both parties, deals (registered as a
contract or turned into an order) and the turnover brokered (technical transaction amounts
of confirmed registrations whose broker is recorded, amendments and cancellations
included, so it follows the turnover sum)."""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from marketplace.accounts.models import Organisation, User
from marketplace.catalogue.scorecards import scorecard_source
from marketplace.core.timeutil import local_year_start
from marketplace.exchange.models import BrokeredMatch, BrokerProfile, MatchStatus
from marketplace.extensions import db
from marketplace.turnover.models import ContractRegistration, RegistrationStatus

DEALS = (MatchStatus.CONTRACTED, MatchStatus.ORDERED)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@scorecard_source
def broker_figures(agency_id):
    m = BrokeredMatch
    proposed, accepted, deals = db.session.execute(
        select(func.count(m.id), _count_if(m.accepted_dt.is_not(None)),
               _count_if(m.status.in_(DEALS)))
        .where(m.broker_agency_id == agency_id)).one()
    r = ContractRegistration
    turnover = db.session.execute(
        select(func.coalesce(func.sum(r.technical_amount_fen), 0))
        .join(m, m.registration_id == func.coalesce(r.original_id, r.id))
        .where(m.broker_agency_id == agency_id,
               r.status == RegistrationStatus.CONFIRMED)).scalar_one()
    return {"broker_matches_proposed": int(proposed), "broker_matches_accepted": int(accepted),
            "broker_deals": int(deals), "broker_turnover_fen": int(turnover)}


@dataclass
class BrokerActivity:
    broker_id: int
    broker_name: str
    agency_id: int
    agency_name: str
    proposed: int
    accepted: int
    deals: int
    turnover_fen: int


def broker_activity(year, district_id=None):
    """One row per broker (of agencies in ``district_id`` when given): the matches they
    proposed in ``year``, how many both parties accepted and became deals, and the
    turnover they brokered in registrations of ``year``. One SQL query."""
    start = local_year_start(year)
    end = local_year_start(year + 1)
    m, r = BrokeredMatch, ContractRegistration
    turnover = (select(func.coalesce(func.sum(r.technical_amount_fen), 0))
                .where(r.broker_user_id == BrokerProfile.user_id,
                       r.registered_year == year,
                       r.status == RegistrationStatus.CONFIRMED)
                .correlate(BrokerProfile).scalar_subquery())
    statement = (
        select(BrokerProfile.user_id, User.name, Organisation.id, Organisation.name,
               BrokerProfile.is_active, func.count(m.id),
               _count_if(m.accepted_dt.is_not(None)), _count_if(m.status.in_(DEALS)),
               turnover)
        .join(User, User.id == BrokerProfile.user_id)
        .join(Organisation, Organisation.id == BrokerProfile.agency_id)
        .outerjoin(m, and_(m.broker_id == BrokerProfile.user_id, m.created_dt >= start,
                           m.created_dt < end))
        .group_by(BrokerProfile.user_id, User.name, Organisation.id, Organisation.name,
                  BrokerProfile.is_active)
        .order_by(Organisation.name, User.name))
    if district_id is not None:
        statement = statement.where(Organisation.district_id == district_id)
    rows = []
    for (user_id, name, agency_id, agency_name, is_active, proposed, accepted, deals,
         brokered) in db.session.execute(statement):
        if is_active or proposed or brokered:
            rows.append(BrokerActivity(user_id, name, agency_id, agency_name, int(proposed),
                                       int(accepted), int(deals), int(brokered)))
    return rows
