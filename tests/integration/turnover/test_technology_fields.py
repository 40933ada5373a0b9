"""Technology fields (技术领域): the seeded table the admin keeps, chosen at quote time with
the category's suggestion, carried by the contract and its registration, and confirmed by
an auditor where the migration could only suggest one."""
import pytest
from sqlalchemy import select

from marketplace.agencies import categories
from marketplace.agencies.models import ServiceCategory
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import TechContract
from marketplace.technology_fields import services as fields
from marketplace.technology_fields.models import TechnologyField
from marketplace.turnover.models import ContractRegistration
from marketplace.turnover.registry import review
from tests.conftest import login
from tests.factories import FirmMemberFactory, make_offering, make_quoted_order, staff
from tests.integration.orders.order_world import (agency_member, committed, firm_member,  # noqa: F401
                                                  offering, page_text, quoted)


def test_the_registration_systems_eleven_fields_are_seeded_in_order():
    seeded = fields.all_fields()
    assert [f.name_zh for f in seeded][:3] == ["电子信息", "先进制造", "航空航天"]
    assert len(seeded) == 11 and all(f.is_active for f in seeded)
    assert fields.resolve_field("生物、医药和医疗器械") == "biomedicine"
    assert fields.resolve_field("new energy and energy efficiency") == "new_energy"
    assert fields.resolve_field("信息技术") is None


def test_the_admin_adds_and_retires_fields(client):
    admin = committed(staff("admin"))
    login(client, admin.email)
    response = client.post("/admin/technology-fields/new", data={
        "code": "marine", "name_zh": "海洋技术", "name_en": "Marine technology",
        "sort_order": 200, "is_active": "y"})
    assert response.status_code == 302
    assert "marine" in fields.field_codes()
    clash = client.post("/admin/technology-fields/new", data={
        "code": "marine2", "name_zh": "海洋技术", "name_en": "Again", "sort_order": 1})
    assert clash.status_code == 422 and "海洋技术" in page_text(clash)   # kept as typed
    nuclear = db.session.execute(select(TechnologyField).where(
        TechnologyField.code == "nuclear")).scalar_one()
    client.post(f"/admin/technology-fields/{nuclear.id}", data={
        "name_zh": "核应用技术", "name_en": "Nuclear applications", "sort_order": 80})
    db.session.expire_all()
    fields._forget_names()
    assert "nuclear" not in fields.field_codes() and "nuclear" in fields.field_codes(False)
    assert fields.field_label("nuclear") == "核应用技术"      # old contracts keep their name


def test_a_quote_takes_the_categorys_suggestion_unless_the_agency_chooses(offering,
                                                                          firm_member):
    suggested = make_quoted_order(offering, firm_member)
    assert suggested.current_quote.field_code == "advanced_manufacturing"   # testing
    chosen = make_quoted_order(offering, firm_member)
    agency = offering.agency.organisation.members[0]
    orders.submit_quote(chosen, agency, contract_type="service",
                        contract_amount_fen=60_000_00, technical_amount_fen=60_000_00,
                        deliverables="检测报告", due_date=chosen.current_quote.due_date,
                        field_code="new_materials")
    contract = orders.sign_contract(chosen, firm_member)
    registered = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.tech_contract_id == contract.id)).scalar_one()
    assert contract.field_code == registered.field_code == "new_materials"
    assert registered.field_unconfirmed is False
    with pytest.raises(fields.UnknownField):
        orders.submit_quote(chosen, agency, contract_type="service",
                            contract_amount_fen=60_000_00, technical_amount_fen=0,
                            deliverables="x", due_date=chosen.current_quote.due_date,
                            field_code="astrology")


def test_a_sub_category_without_a_suggestion_takes_its_parents():
    parent = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == "data_software")).scalar_one()
    child = categories.save_category(staff("admin"), code="ai_models", name_zh="模型训练",
                                     name_en="Model training", parent_id=parent.id,
                                     is_active=True, sort_order=1)
    assert fields.suggested_field(child) == "electronic_information"
    categories.save_category(staff("admin"), category=child, name_zh="模型训练",
                             name_en="Model training", parent_id=parent.id, is_active=True,
                             sort_order=1, technology_field_code="biomedicine")
    assert fields.suggested_field(child) == "biomedicine"


def test_the_quote_form_offers_the_suggestion_and_the_api_takes_a_field(client, quoted,
                                                                        agency_member):
    login(client, agency_member.email)
    shown = page_text(client.get(f"/orders/{quoted.id}"))
    assert 'name="quote-field_code"' in shown
    assert '<option selected value="advanced_manufacturing">' in shown \
        or '<option value="advanced_manufacturing" selected>' in shown


def _migrated_registration(firm_member, offering):
    """A platform contract as the migration leaves one: the suggested field, unconfirmed."""
    order = make_quoted_order(offering, firm_member)
    contract = orders.sign_contract(order, firm_member)
    row = db.session.execute(select(ContractRegistration).where(
        ContractRegistration.tech_contract_id == contract.id)).scalar_one()
    row.field_unconfirmed = True
    return committed(row)


def test_an_auditor_confirms_a_migrated_field_on_the_contract_and_its_registrations(
        client, firm_member, offering):
    row = _migrated_registration(firm_member, offering)
    auditor = committed(staff("auditor"))
    login(client, auditor.email)
    listed = page_text(client.get("/contracts?field=unconfirmed"))
    assert row.contract_number in listed
    page = page_text(client.get(f"/contracts/{row.id}"))
    assert 'data-testid="confirm-field"' in page and 'data-testid="field-unconfirmed"' in page
    assert 'data-testid="registry-contract-pdf"' in page
    response = client.post(f"/contracts/{row.id}/field",
                           data={"field_code": "electronic_information"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(ContractRegistration, row.id)
    contract = db.session.get(TechContract, row.tech_contract_id)
    assert (row.field_code, row.field_unconfirmed) == ("electronic_information", False)
    assert contract.field_code == "electronic_information"
    assert row.contract_number not in page_text(client.get("/contracts?field=unconfirmed"))
    again = client.post(f"/contracts/{row.id}/field", data={"field_code": "agriculture"})
    assert again.status_code == 409


def test_only_an_auditor_confirms_a_field(client, firm_member, offering):
    row = _migrated_registration(firm_member, offering)
    login(client, firm_member.email)
    assert client.post(f"/contracts/{row.id}/field",
                       data={"field_code": "agriculture"}).status_code == 403
    with pytest.raises(Exception):
        review.confirm_field(row, firm_member, "agriculture")
    db.session.rollback()


def test_the_dashboard_groups_by_the_fields_name(client, firm_member, offering):
    from datetime import date

    from marketplace.turnover.dashboard import stats, tables
    orders.sign_contract(make_quoted_order(offering, firm_member), firm_member)
    committed(firm_member)
    figures = stats.turnover(stats.Filters(year=date.today().year))
    table = tables.field_table(figures, tables.load_names("zh"))
    assert [row[0] for row in table.rows] == ["先进制造"]


def test_a_firm_member_cannot_reach_the_admins_field_pages(client):
    member = committed(FirmMemberFactory())
    login(client, member.email)
    assert client.get("/admin/technology-fields").status_code == 403


def test_the_fields_remembered_in_a_context_outlive_its_session():
    """A worker or script keeps one app context across many sessions: the fields read in a
    session since committed and removed are read again, not refreshed while detached (the
    money walk met a DetachedInstanceError here once reference rows were kept between
    tests)."""
    codes = fields.field_codes()
    db.session.commit()       # expires what the session loaded
    db.session.remove()       # and detaches it
    assert fields.field_codes() == codes
    assert fields.field_label(codes[0])
