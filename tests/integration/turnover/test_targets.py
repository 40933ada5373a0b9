"""Turnover targets: the city's default when none is set, the admin's page for the city and
each district, and ``target_for`` as the dashboard reads it."""
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.turnover.models import DEFAULT_CITY_TARGET_FEN
from marketplace.turnover.targets.services import district_targets, target_for
from tests.integration.turnover.registry_builders import person, quiet, signed_in


def test_the_admin_sets_the_city_and_district_targets_and_target_for_reads_them():
    admin = person("admin")
    gaoxin = db.session.execute(select(District).where(
        District.code == "high_tech_zone")).scalar_one()
    quiet()
    assert target_for(2027) == DEFAULT_CITY_TARGET_FEN == 600_000_000_000
    assert target_for(2027, gaoxin.id) is None
    browser = signed_in(admin)
    assert "¥6,000,000,000.00" in browser.get("/turnover/targets?year=2027").get_data(
        as_text=True)
    refused = browser.post("/turnover/targets", data={"year": "2027", "district": "",
                                                      "target": "6.5 亿"})
    assert refused.status_code == 422 and 'value="6.5 亿"' in refused.get_data(as_text=True)
    assert browser.post("/turnover/targets", data={
        "year": "2027", "district": "", "target": "6,500,000,000"}).status_code == 302
    assert browser.post("/turnover/targets", data={
        "year": "2027", "district": str(gaoxin.id), "target": "2000000000"}).status_code == 302
    db.session.expire_all()
    assert target_for(2027) == 650_000_000_000
    assert target_for(2027, gaoxin.id) == 200_000_000_000
    assert target_for(2026) == DEFAULT_CITY_TARGET_FEN         # another year: the default
    assert district_targets(2027) == {gaoxin.id: 200_000_000_000}
    page = browser.get("/turnover/targets?year=2027").get_data(as_text=True)
    assert "¥6,500,000,000.00" in page and "¥2,000,000,000.00" in page
    # an empty target removes the district's; the city's cannot be removed
    assert browser.post("/turnover/targets", data={
        "year": "2027", "district": str(gaoxin.id), "target": ""}).status_code == 302
    assert browser.post("/turnover/targets", data={
        "year": "2027", "district": "", "target": ""}).status_code == 422
    db.session.expire_all()
    assert target_for(2027, gaoxin.id) is None and target_for(2027) == 650_000_000_000
    assert db.session.scalar(select(db.func.count(AuditRecord.id)).where(
        AuditRecord.action == "set_target")) == 3
