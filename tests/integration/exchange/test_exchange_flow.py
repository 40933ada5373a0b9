"""The issue's done-when, through the pages: a firm posts a demand, the university's result
is suggested first, a broker links them, both accept, they talk, and the deal registered as
a technology contract appears in the turnover sum with the broker recorded."""
import io
import re
from datetime import date

from flask import render_template_string
from sqlalchemy import func, select

from marketplace.catalogue.models import AgencyScorecard
from marketplace.core.outbox import OutboxMessage
from marketplace.exchange import stats
from marketplace.exchange.models import BrokeredMatch, ListingStatus, MatchStatus, TechDemand
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.turnover.dashboard import stats as turnover_stats
from marketplace.turnover.models import (ContractRegistration, RegistrationSource,
                                         RegistrationStatus)
from tests.conftest import login
from tests.factories import (PDF_BYTES, AgencyMemberFactory, FirmMemberFactory,
                             make_agency_profile)
from tests.integration.exchange.builders import make_broker, make_result


def _turnover(year):
    return db.session.execute(select(func.coalesce(func.sum(
        ContractRegistration.technical_amount_fen), 0)).where(
        ContractRegistration.status == RegistrationStatus.CONFIRMED,
        ContractRegistration.registered_year == year)).scalar_one()


def _absorbed(year):
    return turnover_stats.absorbed(turnover_stats.Filters.of(year)).technical_fen


def _client(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def test_a_brokered_deal_goes_from_demand_to_turnover(app):
    university = make_agency_profile(AgencyMemberFactory(), in_city=False,
                                     agency_type="university", home_city="上海")
    result = make_result(university, title="碳纤维增强复合材料快速模压成型技术",
                         summary="快速固化环氧树脂与模压成型工艺，碳纤维复合材料构件成型周期十分钟以内。")
    make_result(title="复合材料自行车车架铺层设计",
                summary="自行车车架的铺层设计与热压罐成型，车架重量轻，适合运动器材企业。")
    make_result(title="材料检测与失效分析", field_code="advanced_manufacturing",
                summary="金属材料成分检测、力学性能检测与零部件失效分析，出具检测报告。")
    broker_agency = make_agency_profile(AgencyMemberFactory())
    broker = make_broker(AgencyMemberFactory(organisation=broker_agency.organisation,
                                             is_owner=False))
    firm_member = FirmMemberFactory()
    db.session.commit()
    before = _turnover(date.today().year)
    absorbed_before = _absorbed(date.today().year)

    firm = _client(app, firm_member)
    response = firm.post("/exchange/demands/new", data={
        "title": "电池包壳体碳纤维复合材料成型", "field_code": "new_materials",
        "description": "新能源汽车电池包壳体想用碳纤维复合材料替代钢板，需要快速模压成型工艺，成本可控。",
        "budget_min": "300000", "budget_max": "800000", "intends_voucher": "y"})
    assert response.status_code == 302
    demand = db.session.execute(select(TechDemand)).scalar_one()
    assert demand.status == ListingStatus.PUBLISHED and demand.budget_max_fen == 800_000_00
    page = firm.get(f"/exchange/demands/{demand.id}").get_data(as_text=True)
    section = page[page.index('data-testid="suggested-results"'):]
    assert re.findall(r'/exchange/results/(\d+)"', section)[0] == str(result.id)
    # the firm's name stays hidden from the broker until the firm accepts
    broker_client = _client(app, broker)
    assert firm_member.organisation.name not in \
        broker_client.get(f"/exchange/demands/{demand.id}").get_data(as_text=True)

    response = broker_client.post(f"/exchange/demands/{demand.id}/propose", data={
        "result_id": result.id, "note": "高校成果成熟度高，工艺与企业需求完全对口。"})
    assert response.status_code == 302
    match = db.session.execute(select(BrokeredMatch)).scalar_one()
    assert db.session.execute(select(func.count(Notification.id)).where(
        Notification.kind == "exchange_match_proposed")).scalar_one() >= 2
    # nobody may talk before both accept
    assert firm.post(f"/exchange/matches/{match.id}/messages",
                     data={"body": "你好"}).status_code == 403

    assert firm.post(f"/exchange/matches/{match.id}/answer",
                     data={"answer": "accept"}).status_code == 302
    assert firm_member.organisation.name in \
        broker_client.get(f"/exchange/demands/{demand.id}").get_data(as_text=True)
    university_client = _client(app, university.organisation.members[0])
    university_client.post(f"/exchange/matches/{match.id}/answer", data={"answer": "accept"})
    db.session.expire_all()
    assert match.status == MatchStatus.ACCEPTED
    assert db.session.execute(select(func.count(Notification.id)).where(
        Notification.kind == "exchange_match_accepted")).scalar_one() >= 3

    response = university_client.post(f"/exchange/matches/{match.id}/messages", data={
        "body": "附上工艺说明", "attachment": (io.BytesIO(PDF_BYTES), "工艺说明.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    message = db.session.get(BrokeredMatch, match.id).messages[0]
    download = firm.get(f"/exchange/matches/{match.id}/messages/{message.id}/attachment")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert "attachment" in download.headers["Content-Disposition"]
    stranger = FirmMemberFactory()
    db.session.commit()
    outsider = _client(app, stranger)
    assert outsider.get(f"/exchange/matches/{match.id}/messages/{message.id}/attachment"
                        ).status_code == 404
    bad = university_client.post(f"/exchange/matches/{match.id}/messages", data={
        "body": "脚本", "attachment": (io.BytesIO(b"#!/bin/sh\necho"), "x.pdf")},
        content_type="multipart/form-data")
    assert bad.status_code == 422

    response = broker_client.post(f"/exchange/matches/{match.id}/register", data={
        "contract_type": "transfer", "contract_amount": "600000",
        "technical_amount": "550000", "signed_on": date.today().isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    match = db.session.get(BrokeredMatch, match.id)
    assert match.status == MatchStatus.CONTRACTED
    record = db.session.get(ContractRegistration, match.registration_id)
    assert record.source == RegistrationSource.EXCHANGE
    assert record.broker_user_id == broker.id
    assert record.seller_org_id == university.organisation_id
    assert record.buyer_org_id == firm_member.organisation_id
    assert record.field_code == "new_materials"
    assert _turnover(date.today().year) - before == 550_000_00
    # the university sells from outside the city: on the dashboard the deal is technology
    # the city absorbed, beside the turnover
    assert _absorbed(date.today().year) - absorbed_before == 550_000_00

    card = db.session.get(AgencyScorecard, broker_agency.organisation_id)
    assert (card.broker_matches_proposed, card.broker_matches_accepted, card.broker_deals,
            card.broker_turnover_fen) == (1, 1, 1, 550_000_00)
    rows = stats.broker_activity(date.today().year)
    assert [(r.broker_id, r.proposed, r.accepted, r.deals, r.turnover_fen) for r in rows] \
        == [(broker.id, 1, 1, 1, 550_000_00)]
    assert stats.broker_activity(date.today().year,
                                 district_id=broker_agency.organisation.district_id + 999) == []
    with app.test_request_context("/"):
        partial = render_template_string(
            '{% with broker_rows = exchange_broker_activity(year) %}'
            '{% include "exchange/_broker_activity.html" %}{% endwith %}',
            year=date.today().year)
    assert broker.name in partial and "550,000" in partial
    agency_page = app.test_client().get(f"/agencies/{broker_agency.organisation_id}")
    assert 'data-testid="scorecard-brokerage"' in agency_page.get_data(as_text=True)
    assert db.session.execute(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.topic == "exchange.deal_registered")).scalar_one() == 1
