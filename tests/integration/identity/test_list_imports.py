"""The bureau's lists and business-registry exports import with the machinery the
contract registry uses too (``core.spreadsheets``): CSV (UTF-8 or GB18030) or XLSX, every
row checked first, nothing imported from a file with a bad row (the report names row,
column and reason), a re-import adds nothing; a registry export of people becomes the
organisations' next versions."""
import io
from datetime import date

import pytest
from flask_babel import force_locale

from marketplace.accounts.models import FirmTier
from marketplace.core.spreadsheets import ImportReport
from marketplace.extensions import db
from marketplace.integrity import certification, list_formats, list_imports
from marketplace.integrity.models import CertificationEntry, IntegrityListEntry
from tests.factories import AgencyMemberFactory, FirmMemberFactory
from tests.integration.turnover.registry_builders import csv_bytes, signed_in, xlsx_bytes
from tests.support.identity import resident_id

TODAY = date.today()


def wrong_check(number):
    return number[:17] + ("1" if number[17] != "1" else "2")


def imported(rows, header, kind, auditor, name="list.csv", encoding="utf-8"):
    data = xlsx_bytes(rows, header) if name.endswith(".xlsx") else \
        csv_bytes(rows, header, encoding=encoding)
    return list_imports.import_list(io.BytesIO(data), name, kind, auditor, TODAY)


def test_the_integrity_list_imports_in_gb18030_and_a_bad_row_imports_nothing(auditor):
    firm = FirmMemberFactory().organisation
    header = ["对象类型", "名称", "统一社会信用代码", "身份证件号码", "列入原因", "来源", "列入日期",
              "移出日期"]
    rows = [["企业", firm.name, firm.uscc, "", "虚报冒领", "信用中国", "2025-01-01", ""],
            ["个人", "失信人乙", "", resident_id(301), "学术不端", "科研诚信系统", "2025/3/1",
             "2030-12-31"],
            ["个人", "失信人丙", "", wrong_check(resident_id(302)), "学术不端", "科研诚信系统",
             "2025-03-01", ""],
            ["机构", "某机构", firm.uscc, "", "x", "y", "2099-01-01", ""]]
    report = imported(rows, header, "integrity_list", auditor, encoding="gb18030")
    assert isinstance(report, ImportReport)
    problems = {(row, column) for row, column, _reason in report.problems}
    assert problems == {(4, "id_number"), (5, "subject"), (5, "listed_from")}
    assert db.session.query(IntegrityListEntry).count() == 0
    batch = imported(rows[:2], header, "integrity_list", auditor, encoding="gb18030")
    assert (batch.rows_in_file, batch.rows_added) == (2, 2)
    again = imported(rows[:2], header, "integrity_list", auditor, encoding="gb18030")
    assert again.rows_added == 0 and db.session.query(IntegrityListEntry).count() == 2
    person_entry = db.session.query(IntegrityListEntry).filter_by(subject="person").one()
    assert resident_id(301) not in (person_entry.id_number_hash + person_entry.id_number_masked)


def test_certification_lists_import_from_xlsx_and_give_the_tier(auditor):
    firm = FirmMemberFactory(organisation__firm_tier=None).organisation
    header = ["list", "uscc", "name", "certificate_number", "valid_from", "valid_to"]
    rows = [["高新技术企业", firm.uscc, firm.name, "GR202436009999", date(2024, 12, 1),
             date(TODAY.year + 2, 11, 30)],
            ["科技型中小企业", firm.uscc, firm.name, "2025360100001234", "2025-01-01",
             f"{TODAY.year + 1}-12-31"]]
    batch = imported(rows, header, "certification", auditor, name="lists.xlsx")
    assert batch.rows_added == 2
    assert certification.tier_on(firm.uscc).tier == FirmTier.HIGH_TECH
    repeated = imported(rows + [rows[0]], header, "certification", auditor, name="lists.xlsx")
    assert isinstance(repeated, ImportReport) and repeated.problems[0][:2] == (
        4, "certificate_number")
    assert db.session.query(CertificationEntry).count() == 2


def test_a_registry_export_of_people_makes_the_next_versions(auditor):
    agency = AgencyMemberFactory().organisation
    firm = FirmMemberFactory().organisation
    representative = agency.current_version.people[0]
    header = ["统一社会信用代码", "职务", "姓名", "证件类型", "证件号码", "持股比例"]
    rows = [[agency.uscc, "法定代表人", representative.name, "", "", ""],   # number kept
            [agency.uscc, "执行董事", "钱董事", "身份证", resident_id(401), ""],
            [agency.uscc, "股东", "孙股东", "身份证", resident_id(402), "60%"],
            [agency.uscc, "股东", "某投资公司", "统一社会信用代码", firm.uscc, "40"]]
    batch = imported(rows, header, "people", auditor)
    assert batch.rows_added == 4
    db.session.expire_all()
    version = agency.current_version
    assert (version.number, version.source.value) == (2, "registry_import")
    people = {(p.role.value, p.name): p for p in version.people}
    assert people[("legal_representative", representative.name)].id_number_hash == \
        representative.id_number_hash
    assert people[("shareholder", "孙股东")].share_bp == 6000
    assert people[("officer", "钱董事")].title.value == "director"
    again = imported(rows, header, "people", auditor)
    assert again.rows_added == 0 and agency.current_version.number == 2


@pytest.mark.parametrize("share", ["inf", "1e400", "-inf", "nan", "0.001"])
def test_a_share_that_is_not_a_percentage_is_reported_not_a_server_error(auditor, share):
    # float("inf") * 100 could not be rounded to an integer: the import raised
    agency = AgencyMemberFactory().organisation
    header = ["统一社会信用代码", "职务", "姓名", "证件类型", "证件号码", "持股比例"]
    rows = [[agency.uscc, "法定代表人", agency.current_version.people[0].name, "", "", ""],
            [agency.uscc, "股东", "孙股东", "身份证", resident_id(402), share]]
    report = imported(rows, header, "people", auditor)
    assert isinstance(report, ImportReport)
    assert [(row, column) for row, column, _reason in report.problems] == [(3, "share")]


def test_a_share_written_with_a_full_width_percent_sign_reads(auditor):
    # Chinese registry exports write 30％ as often as 30%
    agency = AgencyMemberFactory().organisation
    header = ["统一社会信用代码", "职务", "姓名", "证件类型", "证件号码", "持股比例"]
    rows = [[agency.uscc, "法定代表人", agency.current_version.people[0].name, "", "", ""],
            [agency.uscc, "股东", "孙股东", "身份证", resident_id(402), "30％"]]
    batch = imported(rows, header, "people", auditor)
    assert not isinstance(batch, ImportReport), batch.problems
    db.session.expire_all()
    shares = {p.name: p.share_bp for p in agency.current_version.people}
    assert shares["孙股东"] == 3000


def test_a_people_export_naming_an_unknown_organisation_or_no_representative_is_refused(
        auditor):
    agency = AgencyMemberFactory().organisation
    header = ["统一社会信用代码", "职务", "姓名", "证件号码"]
    rows = [[agency.uscc, "董事", "钱董事", resident_id(411)],
            ["91360100MA35TEMPL9", "法定代表人", "某人", resident_id(412)]]
    report = imported(rows, header, "people", auditor)
    reasons = {(row, column, reason if isinstance(reason, str) else reason[0])
               for row, column, reason in report.problems}
    assert (3, "uscc", "uscc") in reasons or (3, "uscc", "not_registered") in reasons
    assert agency.current_version.number == 1


def test_the_import_page_reports_and_offers_templates(app, auditor):
    browser = signed_in(auditor)
    for kind in ("integrity_list", "certification", "people"):
        template = browser.get(f"/integrity/imports/{kind}.csv")
        assert template.status_code == 200 and template.data.startswith(b"\xef\xbb\xbf")
    example = browser.get("/integrity/imports/certification.csv").data
    done = browser.post("/integrity/imports", data={
        "kind": "certification", "file": (io.BytesIO(example), "template.csv")},
        content_type="multipart/form-data")
    assert done.status_code == 302 and done.location.endswith("/integrity/certifications")
    refused = browser.post("/integrity/imports", data={
        "kind": "integrity_list", "file": (io.BytesIO("名称\n某人\n".encode()), "bad.csv")},
        content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-testid="import-problems"' in page
    assert "bad.csv" in page


def test_an_imported_registration_names_its_invoice_for_the_duplicate_check(auditor):
    from marketplace.integrity import invoices
    from marketplace.turnover.imports.importer import import_file
    from tests.integration.turnover.registry_builders import HEADER_ZH, good_rows

    rows = [row + ["No. ３６００ ７７８８"] for row in good_rows(2, prefix="INV")]
    rows[1][-1] = ""
    batch = import_file(io.BytesIO(csv_bytes(rows, HEADER_ZH + ["发票号码"])), "r.csv", auditor)
    assert batch.rows_added == 2
    [use] = invoices.uses_of(invoices.invoice_key("36007788"))
    assert (use["source"], use["invoice_number"]) == ("registration", "No. ３６００ ７７８８")
    assert invoices.seen("36007788") and not invoices.seen("36007789")


def test_a_nul_character_in_a_cell_is_named_in_the_report_not_a_server_error(auditor):
    firm = FirmMemberFactory().organisation
    header = ["对象类型", "名称", "统一社会信用代码", "身份证件号码", "列入原因", "来源", "列入日期",
              "移出日期"]
    rows = [["企业", firm.name, firm.uscc, "", "虚报\x00冒领", "信用中国", "2025-01-01", ""]]
    report = imported(rows, header, "integrity_list", auditor)
    assert isinstance(report, ImportReport)
    assert report.problems == [(2, "reason", "nul")]
    with force_locale("en"):
        assert list_formats.reason_text("nul") == \
            "contains a NUL character, which cannot be stored"
    assert db.session.query(IntegrityListEntry).count() == 0
