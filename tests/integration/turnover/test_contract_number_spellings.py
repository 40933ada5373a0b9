"""A contract number is the registration system's key: typed or exported with full-width
digits or letters (２０２６３６０１…, as a Chinese input method types them) it is the same
number, so it is stored in its plain form and a second registration of it, by hand, by the
API or in an import, is refused or skipped as already registered instead of counting the
contract twice in the turnover."""
import io
from datetime import date, timedelta

import pytest

from marketplace.core.spreadsheets import ImportReport
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import ContractRegistration, RegistrationSource
from marketplace.turnover.registry import registration
from tests.integration.turnover.registry_builders import csv_bytes, good_rows, person, quiet

PLAIN, WIDE = "2026360100000123", "２０２６３６０１０００００１２３"


def _register(number):
    return registration.register_original(
        contract_number=number, contract_type=ContractType.DEVELOPMENT,
        contract_amount_fen=1_000_000, technical_amount_fen=900_000, buyer_name="买方",
        seller_name="卖方", seller_in_city=False, field_code="electronics",
        signed_on=date.today() - timedelta(days=5), source=RegistrationSource.IMPORT)


def test_a_full_width_number_is_stored_plain_and_is_the_same_contract():
    person("auditor")
    quiet()
    stored = _register(WIDE)
    assert stored.contract_number == PLAIN
    with pytest.raises(registration.ContractAlreadyRegistered):
        _register(PLAIN)


def test_an_import_skips_a_number_registered_in_the_other_width():
    auditor = person("auditor")
    quiet()
    _register(PLAIN)
    db.session.commit()
    rows = list(good_rows(2))
    rows[0][0] = WIDE
    batch = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    assert not isinstance(batch, ImportReport), batch.problems
    assert (batch.rows_added, batch.rows_already_registered) == (1, 1)
    db.session.commit()
    assert db.session.query(ContractRegistration).filter_by(
        contract_number=PLAIN).count() == 1


def test_one_file_holding_both_widths_names_the_duplicate():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(2))
    rows[0][0], rows[1][0] = PLAIN, WIDE
    report = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    assert isinstance(report, ImportReport)
    assert report.problems == [(3, "contract_number", ("duplicate", 2))]
