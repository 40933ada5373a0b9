"""The catalogue's pages through the test client: search, agency and offering pages, an
agency's own offerings, moderation and the admin's category tree."""
import re
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.accounts.models import District, Role
from marketplace.agencies import services as registry
from marketplace.agencies.models import ServiceCategory
from marketplace.catalogue import services
from marketplace.catalogue.models import AgencyScorecard, Offering, OfferingStatus
from marketplace.core import outbox
from marketplace.extensions import db
from tests.conftest import login
from tests.support.statements import statements_sent
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_offering)

RESULT_TITLE = re.compile(r'data-testid="offering-result".*?<a href="/offerings/\d+">(.*?)</a>',
                          re.S)


def text(response):
    return unescape(response.get_data(as_text=True))


def result_titles(response):
    assert response.status_code == 200
    return RESULT_TITLE.findall(text(response))


def signed_in(app, user):
    db.session.commit()
    client = app.test_client()
    login(client, user.email)
    return client


def english(client):
    client.post("/language", data={"locale": "en", "next": "/"})
    return client


def reload(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def category(code):
    return db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == code)).scalar_one()


@pytest.fixture
def agency():
    profile = make_agency_profile(category_codes=("testing", "ip"),
                                  fee_schedule="常规检测每项¥800起，加急另计")
    db.session.commit()
    return profile


@pytest.fixture
def member(agency):
    member = agency.organisation.members[0]
    member.locale = "en"
    db.session.commit()
    return member


@pytest.fixture
def catalogue(agency, member):
    testing = make_offering(agency, actor=member, title="材料检测服务")
    ip = make_offering(agency, actor=member, title="知识产权代理", category_code="ip",
                       price_fen=None, guide_min_fen=1_000_00, guide_max_fen=5_000_00,
                       description="专利申请、商标注册与版权登记的全流程代理。",
                       deliverables="受理通知书", accepts_vouchers=False)
    db.session.commit()
    return {"testing": testing, "ip": ip}


# --- the search page --------------------------------------------------------------------

def test_a_chinese_query_finds_an_offering_by_part_of_its_title(client, catalogue):
    assert result_titles(client.get("/catalogue?q=检测")) == ["材料检测服务"]
    assert result_titles(client.get("/catalogue?q=知识产权")) == ["知识产权代理"]
    assert result_titles(client.get("/catalogue?q=区块链")) == []


def test_each_result_shows_price_category_agency_voucher_and_duration(client, catalogue,
                                                                     agency):
    page = text(english(client).get("/catalogue?sort=price_desc"))
    testing, ip = page.split('data-testid="offering-result"')[1:]
    assert "材料检测服务" in testing and "¥8,000.00" in testing
    assert "Inspection and testing" in testing and "about 10 days" in testing
    assert f'href="/agencies/{agency.organisation_id}">{agency.name}</a>' in testing
    assert 'data-testid="voucher-badge"' in testing
    assert "On quotation, guide ¥1,000.00–¥5,000.00" in ip
    assert 'data-testid="voucher-badge"' not in ip


def test_filters_narrow_the_results_and_keep_their_values(client, catalogue):
    other = make_agency_profile(AgencyMemberFactory(), in_city=False,
                                agency_type="university")
    make_offering(other, title="高校材料检测平台", price_fen=50_000_00)
    db.session.commit()

    response = client.get("/catalogue", query_string={
        "q": "检测", "category": "testing", "agency_type": "university",
        "location": "out_of_town", "price_min": "10,000", "price_max": "60000",
        "voucher": "1", "sort": "price_desc"})
    assert result_titles(response) == ["高校材料检测平台"]
    page = text(response)
    for selected in ('value="testing" selected', 'value="university" selected',
                     'value="out_of_town" selected', 'value="price_desc" selected'):
        assert selected in page
    assert 'name="price_min" inputmode="decimal" value="10,000"' in page
    assert 'name="price_max" inputmode="decimal" value="60000"' in page
    assert 'id="voucher" name="voucher" value="1" checked' in page
    assert 'name="q" value="检测"' in page
    assert 'data-testid="filter-notice"' not in page


def test_the_district_filter_follows_the_agency_organisation(client, catalogue, agency):
    district = db.session.get(District, agency.organisation.district_id)
    elsewhere = db.session.execute(select(District).where(
        District.id != district.id)).scalars().first()
    assert len(result_titles(client.get(f"/catalogue?district={district.code}"))) == 2
    assert result_titles(client.get(f"/catalogue?district={elsewhere.code}")) == []


def test_bad_filter_values_are_ignored_with_a_notice_never_an_error(client, catalogue):
    response = client.get("/catalogue", query_string={
        "price_min": "abc", "price_max": "-5", "category": "nope", "district": "atlantis",
        "agency_type": "spaceship", "location": "moon", "voucher": "perhaps",
        "min_rating": "9", "sort": "cheapest", "page": "many"})
    assert sorted(result_titles(response)) == ["材料检测服务", "知识产权代理"]
    page = text(response)
    notices = re.search(r'data-testid="filter-notice">(.*?)</div>', page, re.S).group(1)
    assert notices.count("<li>") == 9
    assert 'value="abc"' in page            # what was typed stays, marked invalid
    assert 'class="form-control is-invalid" id="price_min"' in page


def test_a_price_limit_past_any_real_figure_is_ignored_with_a_notice(client, catalogue):
    # a visitor's "1e999999" overflowed the money parser: a 500 on the public catalogue
    response = client.get("/catalogue?price_max=1e999999")
    assert sorted(result_titles(response)) == ["材料检测服务", "知识产权代理"]
    assert 'data-testid="filter-notice"' in text(response)
    assert 'value="1e999999"' in text(response)


def test_an_upside_down_price_range_is_ignored(client, catalogue):
    response = client.get("/catalogue?price_min=9000&price_max=10")
    assert len(result_titles(response)) == 2
    assert 'data-testid="filter-notice"' in text(response)


def test_the_minimum_rating_filters_on_the_agency_scorecard(client, catalogue, agency):
    rated = make_agency_profile(AgencyMemberFactory())
    make_offering(rated, title="高分检测实验室")
    db.session.get(AgencyScorecard, rated.organisation_id).rating_avg_x100 = 450
    db.session.get(AgencyScorecard, agency.organisation_id).rating_avg_x100 = 320
    db.session.commit()
    assert result_titles(client.get("/catalogue?min_rating=4")) == ["高分检测实验室"]
    assert result_titles(client.get("/catalogue?sort=rating"))[0] == "高分检测实验室"


def test_results_come_in_pages_of_twenty_and_the_links_keep_the_filters(client, agency,
                                                                       member):
    for number in range(23):
        make_offering(agency, actor=member, title=f"检测项目{number:02d}")
    db.session.commit()

    first = client.get("/catalogue?q=检测&voucher=1&price_min=abc")
    assert len(result_titles(first)) == 20
    links = re.findall(r'href="(/catalogue\?[^"]*page=2[^"]*)"', text(first))
    assert links and all("voucher=1" in link and "q=" in link for link in links)
    assert not any("price_min" in link for link in links)     # the bad value is dropped
    assert len(result_titles(client.get(links[0]))) == 3
    beyond = client.get("/catalogue?q=检测&page=99")
    assert result_titles(beyond) == [] and "empty-state" in text(beyond)


def test_the_landing_page_searches_the_catalogue(client):
    page = text(client.get("/"))
    assert 'action="/catalogue"' in page and 'name="q"' in page


# --- the agency page --------------------------------------------------------------------

def test_the_agency_page_shows_the_profile_its_offerings_and_an_empty_scorecard(
        client, catalogue, agency, member):
    services.withdraw_offering(catalogue["ip"], member)
    db.session.commit()
    page = text(english(client).get(f"/agencies/{agency.organisation_id}"))
    assert agency.name in page and "常规检测每项¥800起，加急另计" in page
    assert "Inspection and testing" in page and "Intellectual property services" in page
    assert "local intermediary" in page and agency.introduction in page
    assert agency.admitted_dt.strftime("%Y") in page
    assert re.findall(r'data-testid="agency-offering">\s*<a[^>]*>(.*?)</a>', page) == [
        "材料检测服务"]
    assert 'data-testid="scorecard-empty"' in page
    assert 'data-testid="agency-status-banner"' not in page


def test_the_agency_page_reads_the_agency_its_offerings_and_its_scorecard_once_each(
        client, catalogue, agency):
    """A first visit is a miss of the visitor page cache: three statements, none of them a
    count while the offerings fit on the page, and neither the search terms nor the
    descriptions of the offerings, which the page does not show."""
    outbox.relay_pending()   # the fixtures' messages, whose in-process handling is not the page's
    url = f"/agencies/{agency.organisation_id}"
    db.session.remove()      # a visitor's request starts with nothing in its session
    with statements_sent() as (sent, _compiled):
        response = client.get(url)
    assert response.status_code == 200 and response.headers.get("X-Cache") != "hit"
    assert len(sent) == 3, "\n".join(s[-250:] for s in sent)
    assert not any("count(" in statement for statement in sent)
    offerings_read = next(s for s in sent if s.startswith("SELECT offerings.id"))
    assert "search_body" not in offerings_read and "description" not in offerings_read
    assert len(re.findall(r'data-testid="agency-offering"', text(response))) == 2


def test_the_agency_page_counts_only_a_full_page_of_offerings(client, agency, member):
    for number in range(21):
        make_offering(agency, actor=member, title=f"检测服务{number}号")
    db.session.commit()
    outbox.relay_pending()
    url = f"/agencies/{agency.organisation_id}"
    with statements_sent() as (sent, _compiled):
        first = text(client.get(url))
    assert sum("count(" in statement for statement in sent) == 1
    assert len(re.findall(r'data-testid="agency-offering"', first)) == 20
    assert f'href="{url}?page=2"' in first
    with statements_sent() as (sent, _compiled):
        second = text(client.get(f"{url}?page=2"))
    assert not any("count(" in statement for statement in sent)
    assert len(re.findall(r'data-testid="agency-offering"', second)) == 1


def test_the_scorecard_shows_the_agency_figures(client, agency):
    card = db.session.get(AgencyScorecard, agency.organisation_id)
    card.orders_completed, card.median_delivery_ratio_bp = 12, 9200
    card.acceptance_rate_bp, card.claim_rejection_rate_bp, card.disputes = 9500, 420, 1
    card.rating_avg_x100, card.rating_count = 467, 9
    db.session.commit()
    page = text(english(client).get(f"/agencies/{agency.organisation_id}"))
    scorecard = page[page.index('data-testid="scorecard"'):]
    assert 'data-testid="scorecard-empty"' not in scorecard
    for figure in (">12<", ">92%<", ">95.0%<", ">4.2%<", "4.7 of 5 (9 ratings)"):
        assert figure in scorecard


def test_a_suspended_agency_is_hidden_from_the_public_and_bannered_for_insiders(
        app, client, catalogue, agency, member, auditor):
    registry.suspend(agency, auditor, "资质核查")
    db.session.commit()
    url = f"/agencies/{agency.organisation_id}"
    assert client.get(url).status_code == 404
    assert signed_in(app, FirmMemberFactory()).get(url).status_code == 404
    for insider in (member, auditor):
        response = signed_in(app, insider).get(url)
        assert response.status_code == 200
        assert 'data-testid="agency-status-banner"' in text(response)
        assert "资质核查" in text(response)
    assert client.get("/agencies/987654").status_code == 404


# --- the offering page ------------------------------------------------------------------

def test_an_offering_page_links_to_its_agency(client, catalogue, agency):
    response = client.get(f"/offerings/{catalogue['testing'].id}")
    assert response.status_code == 200
    page = text(response)
    assert f'href="/agencies/{agency.organisation_id}" data-testid="agency-link"' in page
    assert 'data-testid="hidden-banner"' not in page
    assert 'data-testid="offering-status"' not in page     # moderation is not public


def test_an_offering_of_a_suspended_agency_is_404_for_visitors_and_shown_to_staff(
        app, client, catalogue, agency, member, auditor):
    registry.suspend(agency, auditor, "资质核查")
    db.session.commit()
    url = f"/offerings/{catalogue['testing'].id}"
    assert client.get(url).status_code == 404
    assert signed_in(app, AgencyMemberFactory()).get(url).status_code == 404
    for insider in (auditor, member, UserFactory(role=Role.ADMIN)):
        db.session.commit()
        response = signed_in(app, insider).get(url)
        assert response.status_code == 200
        assert 'data-testid="hidden-banner"' in text(response)


def test_a_taken_down_offering_shows_its_reason_to_the_agency(app, client, catalogue,
                                                              member, auditor):
    services.take_down(catalogue["testing"], auditor, "资质证书已过期")
    db.session.commit()
    url = f"/offerings/{catalogue['testing'].id}"
    assert client.get(url).status_code == 404
    page = text(signed_in(app, member).get(url))
    assert 'data-testid="hidden-banner"' in page and "资质证书已过期" in page


# --- the agency's own offerings -----------------------------------------------------------

def offering_form(**changes):
    form = {"title": "金属材料力学性能检测", "category_id": str(category("testing").id),
            "description": "拉伸、冲击、硬度等力学性能检测，依据GB/T 228。",
            "deliverables": "CMA检测报告", "price_model": "fixed", "price": "12,345.50",
            "guide_min": "", "guide_max": "", "typical_duration_days": "7",
            "accepts_vouchers": "y"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_an_agency_member_publishes_an_offering_through_the_form(app, agency, member):
    response = signed_in(app, member).post("/my/offerings/new", data=offering_form())
    [stored] = db.session.execute(select(Offering)).scalars().all()
    assert response.status_code == 302
    assert response.location == f"/offerings/{stored.id}"
    assert (stored.title, stored.price_fen, stored.typical_duration_days) == (
        "金属材料力学性能检测", 1_234_550, 7)
    assert stored.accepts_vouchers and stored.needs_check
    assert stored.agency_id == agency.organisation_id


def test_a_rejected_offering_form_keeps_what_was_typed_and_says_what_is_wrong(app, agency,
                                                                            member):
    response = signed_in(app, member).post("/my/offerings/new", data=offering_form(
        price="12abc", description="太短", typical_duration_days="0"))
    assert response.status_code == 422
    page = text(response)
    assert 'value="金属材料力学性能检测"' in page and 'value="12abc"' in page
    assert "太短</textarea>" in page and "CMA检测报告</textarea>" in page
    assert "Enter an amount in yuan" in page
    assert "Between 1 and 3650 days." in page
    assert db.session.query(Offering).count() == 0


def test_a_quotation_needs_its_guide_range_in_order(app, agency, member):
    client = signed_in(app, member)
    response = client.post("/my/offerings/new", data=offering_form(
        price_model="quotation", price="", guide_min="50000", guide_max="10000"))
    assert response.status_code == 422
    page = text(response)
    assert "The lower end of the guide range is above its upper end." in page
    assert 'value="50000"' in page and 'value="10000"' in page
    assert client.post("/my/offerings/new", data=offering_form(price="")).status_code == 422
    assert db.session.query(Offering).count() == 0

    response = client.post("/my/offerings/new", data=offering_form(
        price_model="quotation", price="oops", guide_min="", guide_max="30000"))
    assert response.status_code == 302           # the unused fixed price is ignored
    stored = db.session.execute(select(Offering)).scalar_one()
    assert (stored.price_fen, stored.guide_max_fen) == (None, 30_000_00)


def test_an_agency_not_admitted_is_sent_to_its_registry_application(app):
    profile = make_agency_profile(status="submitted")
    db.session.commit()
    client = signed_in(app, profile.organisation.members[0])
    page = text(client.get("/my/offerings"))
    assert 'data-testid="not-admitted"' in page and 'href="/registry/application"' in page
    assert 'href="/my/offerings/new"' not in page
    response = client.post("/my/offerings/new", data=offering_form())
    assert response.status_code == 302 and response.location == "/my/offerings"
    assert db.session.query(Offering).count() == 0


def test_my_offerings_lists_every_state_with_the_take_down_reason(app, catalogue, member,
                                                                 auditor):
    services.take_down(catalogue["ip"], auditor, "价格区间不合理")
    db.session.commit()
    page = text(signed_in(app, member).get("/my/offerings"))
    assert page.count('data-testid="my-offering"') == 2
    assert "价格区间不合理" in page and "awaiting the bureau" in page


def test_an_edit_is_saved_and_waits_for_a_check_again(app, catalogue, member, auditor):
    offering = catalogue["testing"]
    services.mark_checked(offering, auditor)
    db.session.commit()
    client = signed_in(app, member)
    page = text(client.get(f"/my/offerings/{offering.id}/edit"))
    assert 'value="材料检测服务"' in page and 'value="8000"' in page

    response = client.post(f"/my/offerings/{offering.id}/edit",
                           data=offering_form(title="材料成分检测服务"))
    assert response.status_code == 302
    stored = reload(Offering, offering.id)
    assert stored.title == "材料成分检测服务" and stored.needs_check


def test_another_agency_offering_cannot_be_edited_or_withdrawn(app, catalogue):
    stranger = make_agency_profile(AgencyMemberFactory()).organisation.members[0]
    db.session.commit()
    client = signed_in(app, stranger)
    offering_id = catalogue["testing"].id
    assert client.get(f"/my/offerings/{offering_id}/edit").status_code == 404
    assert client.post(f"/my/offerings/{offering_id}/edit",
                       data=offering_form()).status_code == 404
    assert client.post(f"/my/offerings/{offering_id}/withdraw").status_code == 404
    assert reload(Offering, offering_id).status == OfferingStatus.PUBLISHED


def test_withdraw_and_publish_again_from_my_offerings(app, client, catalogue, member):
    offering_id = catalogue["testing"].id
    agency_client = signed_in(app, member)
    assert agency_client.post(f"/my/offerings/{offering_id}/withdraw").status_code == 302
    assert reload(Offering, offering_id).status == OfferingStatus.WITHDRAWN
    assert client.get(f"/offerings/{offering_id}").status_code == 404
    assert agency_client.post(f"/my/offerings/{offering_id}/publish").status_code == 302
    assert reload(Offering, offering_id).status == OfferingStatus.PUBLISHED
    # publishing what is published is refused with a message, not an error page
    response = agency_client.post(f"/my/offerings/{offering_id}/publish")
    assert response.status_code == 302
    with agency_client.session_transaction() as session:
        assert session["_flashes"][-1][0] == "danger"


# --- moderation -------------------------------------------------------------------------

def test_the_moderation_queue_is_for_auditors_and_lists_the_oldest_change_first(
        app, catalogue, member, auditor):
    services.update_offering(catalogue["testing"], member, title="材料检测服务（新版）")
    db.session.commit()
    response = signed_in(app, auditor).get("/moderation/offerings")
    rows = re.findall(r'data-testid="moderation-row">\s*<td[^>]*><a[^>]*>(.*?)</a>',
                      text(response))
    assert rows == ["知识产权代理", "材料检测服务（新版）"]
    assert signed_in(app, member).get("/moderation/offerings").status_code == 403
    assert signed_in(app, UserFactory(role=Role.SUPERVISOR)).get(
        "/moderation/offerings").status_code == 403


def test_checking_an_offering_takes_it_off_the_queue(app, catalogue, auditor):
    client = signed_in(app, auditor)
    offering_id = catalogue["ip"].id
    assert client.post(f"/moderation/offerings/{offering_id}/check").status_code == 302
    stored = reload(Offering, offering_id)
    assert not stored.needs_check and stored.checked_by_id == auditor.id
    assert text(client.get("/moderation/offerings")).count('data-testid="moderation-row"') == 1


def test_a_take_down_needs_a_reason_and_then_hides_the_offering(app, client, catalogue,
                                                                auditor):
    moderator = signed_in(app, auditor)
    offering_id = catalogue["testing"].id
    response = moderator.post(f"/moderation/offerings/{offering_id}/take-down",
                              data={"reason": "   "})
    assert response.status_code == 422
    assert "Please give a reason." in text(response)
    assert reload(Offering, offering_id).status == OfferingStatus.PUBLISHED

    response = moderator.post(f"/moderation/offerings/{offering_id}/take-down",
                              data={"reason": "服务内容与资质不符"})
    assert response.status_code == 302
    stored = reload(Offering, offering_id)
    assert stored.status == OfferingStatus.TAKEN_DOWN
    assert stored.takedown_reason == "服务内容与资质不符"
    assert client.get(f"/offerings/{offering_id}").status_code == 404
    assert result_titles(client.get("/catalogue")) == ["知识产权代理"]


def test_only_auditors_take_offerings_down(app, catalogue, member):
    url = f"/moderation/offerings/{catalogue['testing'].id}/take-down"
    for user in (member, UserFactory(role=Role.ADMIN)):
        db.session.commit()
        assert signed_in(app, user).post(url, data={"reason": "x"}).status_code == 403
    assert reload(Offering, catalogue["testing"].id).status == OfferingStatus.PUBLISHED
