"""A brokered deal is a contract the broker brought about: one signed before the broker
proposed the match was not brokered by it, and registering it as the match's deal would
count toward the broker's brokerage (and its reward for brokered contracts). Such a
signing date is refused on its field; the proposal's own day is accepted."""
from datetime import date, timedelta

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.exchange import brokerage
from marketplace.exchange.models import BrokeredMatch, MatchStatus
from marketplace.extensions import db
from marketplace.turnover.models import ContractRegistration
from tests.integration.exchange.test_brokerage import _accepted


def test_a_contract_signed_before_the_proposal_is_not_the_matchs_deal():
    match = _accepted()
    db.session.commit()
    match_id = match.id
    proposed_on = match.created_dt.date()
    with pytest.raises(ValidationFailed) as refused:
        brokerage.register_deal(match, match.broker, contract_type="transfer",
                                contract_amount_fen=300_000_00,
                                technical_amount_fen=250_000_00,
                                signed_on=proposed_on - timedelta(days=400))
    assert refused.value.details["field"] == "signed_on"
    db.session.rollback()
    assert db.session.query(ContractRegistration).count() == 0
    match = db.session.get(BrokeredMatch, match_id)
    brokerage.register_deal(match, match.broker, contract_type="transfer",
                            contract_amount_fen=300_000_00, technical_amount_fen=250_000_00,
                            signed_on=min(proposed_on, date.today()))
    assert match.status == MatchStatus.CONTRACTED
