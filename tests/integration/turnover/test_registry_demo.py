"""`flask seed-demo --contracts N`: reproducible, plausible, idempotent."""
from datetime import date

from sqlalchemy import func, select

from marketplace.demo.contracts import YEAR_TECHNICAL_FEN, demo_rows, seed_demo_contracts
from marketplace.extensions import db
from marketplace.turnover.models import ContractRegistration, RegistrationKind
from tests.integration.turnover.registry_builders import person, quiet


def test_demo_contracts_are_reproducible_plausible_and_added_once():
    today = date(2026, 11, 26)
    assert demo_rows(50, 2026, today) == demo_rows(50, 2026, today)
    person("auditor")
    quiet()
    assert seed_demo_contracts(400, year=2026, today=today) == 400
    quiet()
    assert seed_demo_contracts(400, year=2026, today=today) == 0
    quiet()
    row = ContractRegistration
    originals, technical, vouchers, months, kinds = db.session.execute(select(
        func.count(row.id).filter(row.sequence == 0), func.sum(row.technical_amount_fen),
        func.count(row.id).filter(row.voucher_funded.is_(True), row.sequence == 0),
        func.count(func.distinct(row.registered_month)),
        func.count(func.distinct(row.contract_type)))).one()
    assert originals == 400 and months == 11 and kinds == 5     # January to November
    assert 0 < vouchers < 100
    expected = YEAR_TECHNICAL_FEN * 400 // 1900
    assert abs(technical - expected) < expected * 0.05           # amendments move it a bit
    adjustments = dict(db.session.execute(select(row.kind, func.count(row.id))
                                          .where(row.sequence > 0).group_by(row.kind)).all())
    assert adjustments[RegistrationKind.CANCELLATION] == 1
    assert adjustments.get(RegistrationKind.AMENDMENT, 0) >= 1
    assert db.session.scalar(select(func.max(row.registered_on))) <= today
