"""A rejected registration is history, not a claim on its contract number: the number may be
registered again (by the service, the form and an import), at most one original of a number
is live at a time, and the contract's page shows the rejected attempt beside the one that
stands."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import (ContractRegistration, RegistrationKind,
                                         RegistrationSource, RegistrationStatus)
from marketplace.turnover.registry import registration, review
from tests.factories import AgencyMemberFactory
from tests.integration.turnover.registry_builders import (csv_bytes, good_rows, quiet,
                                                          signed_in)


def district(name="东湖区"):
    return db.session.execute(select(District).where(District.name_zh == name)).scalar_one()


def by_hand(member, number="JX2026-0100", technical_fen=800_000_00):
    return review.register_by_hand(
        member, party="seller", counterparty="江西某某制造有限公司", contract_number=number,
        contract_type=ContractType.DEVELOPMENT, contract_amount_fen=1_000_000_00,
        technical_amount_fen=technical_fen, seller_district_id=district().id,
        seller_in_city=True, field_code="new_energy",
        signed_on=date.today() - timedelta(days=5))


def form_data(number="JX2026-0100", **changes):
    data = {"contract_number": number, "contract_type": "development", "party": "seller",
            "counterparty": "江西某某制造有限公司", "seller_district": str(district().id),
            "contract_amount": "1,000,000", "technical_amount": "800000",
            "field": "new_energy", "signed_on": (date.today() - timedelta(days=5)).isoformat(),
            "registered_on": date.today().isoformat(), "note": "更正后重新登记"}
    data.update(changes)
    return data


@pytest.fixture
def member():
    return AgencyMemberFactory(locale="en")


def counts_now(page):
    return re.search(r'data-testid="counts-now">(.*?)</dd>', page, re.S).group(1)


def rows_of(number):
    return db.session.execute(
        select(ContractRegistration).where(ContractRegistration.contract_number == number)
        .order_by(ContractRegistration.id)).scalars().all()


def test_a_number_whose_original_was_rejected_is_registered_again_and_amended(member,
                                                                              auditor):
    quiet()
    first = by_hand(member, technical_fen=900_000_00)
    review.decide(first, auditor, "reject", "技术交易额有误")
    db.session.commit()

    corrected = by_hand(member)
    db.session.commit()
    assert corrected.id != first.id and corrected.sequence == 0
    assert corrected.status == RegistrationStatus.PENDING
    # the second live original is refused, as before
    with pytest.raises(registration.ContractAlreadyRegistered):
        by_hand(member)
    db.session.rollback()

    review.decide(corrected, auditor, "confirm")
    amendment = review.register_adjustment_by_hand(
        member, corrected, kind="amendment", contract_amount_fen=1_000_000_00,
        technical_amount_fen=700_000_00)
    db.session.commit()
    # the amendment belongs to the original that stands, numbered after every earlier row
    assert (amendment.original_id, amendment.sequence) == (corrected.id, 1)
    assert amendment.technical_amount_fen == -100_000_00
    assert [(r.id, r.status) for r in review.history_of(corrected)] == [
        (first.id, RegistrationStatus.REJECTED), (corrected.id, RegistrationStatus.CONFIRMED),
        (amendment.id, RegistrationStatus.PENDING)]
    # the rejected attempt stays, with its reason and its audit trail
    first = db.session.get(ContractRegistration, first.id)
    assert first.status == RegistrationStatus.REJECTED
    assert first.rejection_reason == "技术交易额有误"
    assert db.session.execute(select(AuditRecord.action).where(
        AuditRecord.object_type == "ContractRegistration",
        AuditRecord.object_id == str(first.id)).order_by(AuditRecord.id)).scalars().all() \
        == ["register", "reject"]


def test_a_cancellation_reaches_the_live_original_not_the_rejected_one(member, auditor):
    quiet()
    first = by_hand(member)
    review.decide(first, auditor, "reject", "编号录错")
    corrected = by_hand(member)
    review.decide(corrected, auditor, "confirm")
    db.session.commit()
    cancellation = registration.register_adjustment(
        "JX2026-0100", kind=RegistrationKind.CANCELLATION, contract_delta_fen=0,
        technical_delta_fen=0, source=RegistrationSource.PLATFORM)
    assert cancellation.original_id == corrected.id
    assert cancellation.technical_amount_fen == -800_000_00
    assert registration.remaining_amounts(corrected.id) == (0, 0)


def test_the_form_registers_a_rejected_number_again_and_refuses_a_second_live_one(member,
                                                                                auditor):
    quiet()
    browser = signed_in(member)
    assert browser.post("/contracts/new",
                        data=form_data(technical_amount="900000")).status_code == 302
    [first] = rows_of("JX2026-0100")
    review.decide(first, auditor, "reject", "技术交易额有误")
    db.session.commit()

    again = browser.post("/contracts/new", data=form_data())
    assert again.status_code == 302
    first, corrected = rows_of("JX2026-0100")
    assert corrected.status == RegistrationStatus.PENDING

    refused = browser.post("/contracts/new", data=form_data(counterparty="另一家公司"))
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "already registered" in page
    assert 'value="JX2026-0100"' in page and 'value="另一家公司"' in page      # kept
    assert len(rows_of("JX2026-0100")) == 2

    # the page of the standing registration shows the rejected attempt in its history
    page = browser.get(f"/contracts/{corrected.id}").get_data(as_text=True)
    assert f'data-registration="{first.id}" data-status="rejected"' in page
    assert f'data-registration="{corrected.id}" data-status="pending"' in page
    assert "技术交易额有误" in page
    # once confirmed, the standing registration counts; the rejected attempt's page says
    # it was rejected, counts nothing itself and points to the one that stands
    review.decide(corrected, auditor, "confirm")
    db.session.commit()
    assert "800,000" in counts_now(browser.get(f"/contracts/{corrected.id}")
                                   .get_data(as_text=True))
    page = browser.get(f"/contracts/{first.id}").get_data(as_text=True)
    assert 'data-testid="rejected-original"' in page
    assert f"/contracts/{corrected.id}" in page
    assert "800,000" not in counts_now(page)


def test_another_partys_registration_of_the_number_stays_out_of_sight(member, auditor):
    other = AgencyMemberFactory(locale="en")
    quiet()
    first = by_hand(member)
    review.decide(first, auditor, "reject", "编号录错")
    theirs = by_hand(other)
    db.session.commit()
    page = signed_in(member).get(f"/contracts/{first.id}").get_data(as_text=True)
    assert 'data-testid="rejected-original"' in page
    assert f'data-registration="{theirs.id}"' not in page
    assert f"/contracts/{theirs.id}" not in page
    page = signed_in(other).get(f"/contracts/{theirs.id}").get_data(as_text=True)
    assert f'data-registration="{first.id}"' not in page


def test_an_import_registers_a_number_whose_only_original_was_rejected(member, auditor):
    quiet()
    rejected = by_hand(member, number="IMP000002")
    review.decide(rejected, auditor, "reject", "不是本市合同")
    pending = by_hand(member, number="IMP000003")          # live: skipped by the import
    db.session.commit()

    batch = import_file(io.BytesIO(csv_bytes(list(good_rows(4)))), "export.csv", auditor)
    db.session.commit()
    assert (batch.rows_added, batch.rows_already_registered) == (3, 1)
    assert [(r.status, r.import_batch_id) for r in rows_of("IMP000002")] == [
        (RegistrationStatus.REJECTED, None), (RegistrationStatus.CONFIRMED, batch.id)]
    assert [r.id for r in rows_of("IMP000003")] == [pending.id]


def test_the_imports_look_up_spells_the_live_index_predicate():
    """The look-up's SQL is a literal (no SQL built from strings), so it must say exactly
    what the live-number index says, or PostgreSQL cannot use the index for it."""
    import inspect

    from marketplace.turnover import models
    from marketplace.turnover.imports import importer
    assert models.LIVE_SQL in inspect.getsource(importer._registered_numbers)
