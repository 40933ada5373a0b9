"""The one-pass import on PostgreSQL: good rows are spooled as COPY text while the file is
checked, then sent without the numbers registered meanwhile; awkward cells (tabs,
backslashes, line breaks in names; amounts and dates in other spellings) arrive intact."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.core.spreadsheets import ImportReport
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.imports import importer
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import (ContractRegistration, ImportStatus,
                                         RegistrationImportBatch, RegistrationSource,
                                         RegistrationStatus)
from marketplace.turnover.registry import registration
from tests.factories import OrganisationFactory
from tests.integration.turnover.registry_builders import (csv_bytes, good_rows, person,
                                                          quiet, settle)


def registered(number):
    return db.session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_number == number,
        ContractRegistration.sequence == 0)).scalar_one()


def test_a_number_registered_by_hand_after_the_upload_is_skipped_and_the_rest_added(app):
    auditor = person("auditor")
    quiet()
    batch = importer.queue_file(io.BytesIO(csv_bytes(good_rows(5, prefix="H"))), "hand.csv",
                               auditor)
    db.session.commit()
    on = date.today() - timedelta(days=1)
    registration.register_original(
        contract_number="H000002", contract_type=ContractType.SERVICE,
        contract_amount_fen=500_00, technical_amount_fen=400_00, buyer_name="手工买方",
        seller_name="手工卖方", seller_in_city=False, field_code="new_materials",
        signed_on=on, registered_on=on, source=RegistrationSource.MANUAL)
    settle()
    batch = db.session.get(RegistrationImportBatch, batch.id)
    assert batch.status == ImportStatus.IMPORTED
    assert (batch.rows_added, batch.rows_already_registered) == (4, 1)
    hand = registered("H000002")
    assert hand.source == RegistrationSource.MANUAL and hand.buyer_name == "手工买方"
    assert registered("H000005").import_batch_id == batch.id
    assert db.session.scalar(select(func.count(ContractRegistration.id))) == 5


def test_a_duplicate_inside_a_file_of_registered_numbers_is_still_refused():
    auditor = person("auditor")
    quiet()
    first = import_file(io.BytesIO(csv_bytes(good_rows(3, prefix="D"))), "d.csv", auditor)
    db.session.commit()
    assert first.rows_added == 3
    rows = [list(r) for r in good_rows(6, prefix="D")]
    rows[5][0] = rows[1][0]                  # row 7 repeats row 3's (registered) number
    report = import_file(io.BytesIO(csv_bytes(rows)), "d2.csv", auditor)
    assert isinstance(report, ImportReport)
    assert report.problems == [(7, "contract_number", ("duplicate", 3))]
    db.session.rollback()
    assert db.session.scalar(select(func.count(ContractRegistration.id))) == 3

    rows[5][0] = "D000006"                   # fixed: only the three new numbers are added
    again = import_file(io.BytesIO(csv_bytes(rows)), "d3.csv", auditor)
    db.session.commit()
    assert (again.rows_added, again.rows_already_registered) == (3, 3)
    assert registered("D000006").import_batch_id == again.id
    assert registered("D000001").import_batch_id == first.id


def test_awkward_cells_arrive_as_typed():
    auditor = person("auditor")
    buyer_firm = OrganisationFactory(name="南昌\\反斜杠\t科技有限公司")
    quiet()
    day = date.today() - timedelta(days=5)
    rows = [list(r) for r in good_rows(6, prefix="A")]
    rows[0][4] = buyer_firm.name                       # tab and backslash, a known firm
    rows[1][5] = "第一行\n第二行\r\n研究院"             # line breaks in a quoted cell
    rows[2][2], rows[2][3] = "1,200.5", "¥300"         # spellings yuan_to_fen reads
    rows[3][2], rows[3][3] = " 42 ", "7.5"
    rows[4][8], rows[4][9] = day.strftime("%Y/%m/%d"), day.strftime("%Y%m%d")
    rows[5][8] = f"{day.year}年{day.month}月{day.day}日"
    rows.insert(3, ["", " ", "", "", "", "", "", "", "", "", ""])   # a blank row: skipped
    batch = import_file(io.BytesIO(csv_bytes(rows)), "awkward.csv", auditor)
    db.session.commit()
    assert batch.rows_added == 6
    first = registered("A000001")
    assert first.buyer_name == buyer_firm.name and first.buyer_org_id == buyer_firm.id
    assert registered("A000002").seller_name == "第一行\n第二行\r\n研究院"
    third, fourth = registered("A000003"), registered("A000004")
    assert (third.contract_amount_fen, third.technical_amount_fen) == (120_050, 30_000)
    assert (fourth.contract_amount_fen, fourth.technical_amount_fen) == (4_200, 750)
    fifth = registered("A000005")
    assert (fifth.signed_on, fifth.registered_on) == (day, day)
    assert (fifth.registered_year, fifth.registered_month) == (day.year, day.month)
    assert registered("A000006").signed_on == day
    assert registered("A000006").status == RegistrationStatus.CONFIRMED
