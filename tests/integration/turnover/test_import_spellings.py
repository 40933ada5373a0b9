"""What a registration export holds as people and programs write it: amounts typed with
full-width digits, commas and points (as a Chinese input method gives them) or 元 after the
number, dates in full-width digits or with the time of day a spreadsheet adds when it saves
a date as CSV. They are read as the same amounts and dates; a cell holding a NUL character
(PostgreSQL text cannot) is named in the report instead of failing the whole import."""
import io
from datetime import date

import pytest

from marketplace.core.money import yuan_to_fen
from marketplace.core.spreadsheets import ImportReport, read_date
from marketplace.extensions import db
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import ContractRegistration
from tests.integration.turnover.registry_builders import csv_bytes, good_rows, person, quiet


@pytest.mark.parametrize("typed, fen", [
    ("１２００００", 12_000_000), ("120，000", 12_000_000), ("１２０，０００．５０", 12_000_050),
    ("１２００００．５", 12_000_050), ("120,000元", 12_000_000), ("￥１２０００", 1_200_000)])
def test_amounts_typed_with_full_width_characters_or_yuan_after_them(typed, fen):
    assert yuan_to_fen(typed) == fen


@pytest.mark.parametrize("typed", ["２０２４－０３－０２", "2024-03-02 00:00:00", "2024/3/2 0:00",
                                   "2024-03-02T09:30:00", "２０２４年３月２日", "2024-03-02 14:05"])
def test_dates_in_full_width_digits_or_with_a_time_of_day(typed):
    assert read_date(typed) == (date(2024, 3, 2), None)


@pytest.mark.parametrize("typed", ["2024-03-02 25:00", "2024-03-02 x", "3/2/2024",
                                   "2024-02-30 00:00"])
def test_what_is_still_not_a_date(typed):
    assert read_date(typed) == (None, "date")


def test_a_file_written_that_way_imports():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(2))
    rows[0][2], rows[0][3] = "１２０，０００．５０", "１００，０００"
    rows[1][8], rows[1][9] = "2024/3/2 0:00", "２０２４－０３－１５"
    batch = import_file(io.BytesIO(csv_bytes(rows, encoding="gb18030")), "export.csv", auditor)
    assert not isinstance(batch, ImportReport), batch.problems
    db.session.commit()
    first, second = db.session.query(ContractRegistration).order_by(
        ContractRegistration.contract_number).all()
    assert (first.contract_amount_fen, first.technical_amount_fen) == (12_000_050, 10_000_000)
    assert (second.signed_on, second.registered_on) == (date(2024, 3, 2), date(2024, 3, 15))


def test_a_nul_character_in_a_cell_is_reported_not_a_server_error():
    auditor = person("auditor")
    quiet()
    rows = list(good_rows(3))
    rows[0][4] = "南昌买方\x00有限公司"
    rows[2][0] = "IMP\x00000003"
    report = import_file(io.BytesIO(csv_bytes(rows)), "export.csv", auditor)
    assert isinstance(report, ImportReport)
    assert sorted(report.problems) == [(2, "buyer", "nul"), (4, "contract_number", "nul")]
    assert "NUL" in report.lines()[0][2]
    db.session.rollback()
    assert db.session.query(ContractRegistration).count() == 0
