"""Outbox consumers of the exchange: tell the parties and the broker what happened."""
from marketplace.core import outbox
from marketplace.exchange.models import BrokeredMatch, ExchangeMessage
from marketplace.extensions import db
from marketplace.notifications.services import active_members, notify


def _people(match, *, firm=True, agency=True, broker=True, except_id=None):
    found = {}
    if firm:
        found.update({u.id: u for u in active_members(match.demand.firm_id)})
    if agency:
        found.update({u.id: u for u in active_members(match.result.agency_id)})
    if broker:
        found[match.broker.id] = match.broker
    found.pop(except_id, None)
    return list(found.values())


def _tell(match, kind, people, **params):
    params.setdefault("match", match.id)
    params.setdefault("result", match.result.title)
    params.setdefault("demand", match.demand.title)
    for person in people:
        notify(person, kind, link=f"/exchange/matches/{match.id}", **params)


@outbox.handler("exchange.match_proposed")
def tell_parties_of_proposal(match_id):
    match = db.session.get(BrokeredMatch, match_id)
    _tell(match, "exchange_match_proposed", _people(match, broker=False),
          broker=match.broker.name)


@outbox.handler("exchange.match_accepted")
def tell_everyone_of_acceptance(match_id):
    match = db.session.get(BrokeredMatch, match_id)
    _tell(match, "exchange_match_accepted", _people(match))


@outbox.handler("exchange.match_declined")
def tell_broker_of_refusal(match_id, side):
    match = db.session.get(BrokeredMatch, match_id)
    _tell(match, "exchange_match_declined", _people(match, firm=False, agency=False))


@outbox.handler("exchange.match_withdrawn")
def tell_parties_of_withdrawal(match_id):
    match = db.session.get(BrokeredMatch, match_id)
    _tell(match, "exchange_match_withdrawn", _people(match, broker=False),
          broker=match.broker.name)


@outbox.handler("exchange.message_posted")
def tell_others_of_message(message_id):
    message = db.session.get(ExchangeMessage, message_id)
    match = message.match
    _tell(match, "exchange_message", _people(match, except_id=message.author_id),
          author=message.author.name)


@outbox.handler("exchange.deal_registered")
def tell_everyone_of_deal(match_id):
    match = db.session.get(BrokeredMatch, match_id)
    _tell(match, "exchange_deal_registered", _people(match))
