"""The visitor page cache (marketplace/core/page_cache.py): visitors share stored copies of
the public pages; signed-in users, POSTs, cookies and flashes never touch them; a committed
change to an offering makes the next visitor request render afresh; Redis down is a miss,
not an outage."""
from html import unescape

import pytest

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.models import Offering
from marketplace.core.page_cache import cached_for_visitors
from marketplace.core.permissions import access, anyone
from marketplace.extensions import db
from tests.conftest import IsolatedClient, login
from tests.factories import AgencyMemberFactory, make_agency_profile, make_offering

pytestmark = pytest.mark.postgres


@pytest.fixture
def cached_app(app):
    app.config["PAGE_CACHE_ENABLED"] = True
    app.extensions["page_cache"].clear()
    yield app
    app.extensions["page_cache"].clear()
    app.config["PAGE_CACHE_ENABLED"] = False


def text(response):
    return unescape(response.get_data(as_text=True))


def visit(app, url, client=None):
    return (client or app.test_client()).get(url)


@pytest.fixture
def offering():
    member = AgencyMemberFactory(name="柳工程师")
    found = make_offering(make_agency_profile(member), title="材料检测服务")
    db.session.commit()
    return found


@pytest.mark.redis
def test_a_visitors_second_request_is_a_hit_with_the_same_page_and_headers(cached_app):
    for url in ("/", "/catalogue?q=检测&category=testing", "/transparency"):
        first, second = visit(cached_app, url), visit(cached_app, url)
        assert (first.status_code, second.status_code) == (200, 200), url
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit"), url
        assert first.get_data() == second.get_data()
        for response in (first, second):
            assert "Set-Cookie" not in response.headers
            assert response.headers["Cache-Control"] == "public, max-age=60"
            assert response.headers["Vary"] == "Cookie"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
        assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    # the query string's order does not matter
    assert visit(cached_app, "/catalogue?category=testing&q=检测").headers["X-Cache"] == "hit"


@pytest.mark.redis
def test_the_stored_pages_are_in_redis_under_this_runs_prefix(cached_app):
    import redis
    visit(cached_app, "/")
    cache = cached_app.extensions["page_cache"]
    client = redis.Redis.from_url(cache.url)
    generation = int(client.get(cache.prefix + ":generation"))   # bumped by clear()
    [key] = client.keys(f"{cache.prefix}:r:{generation}:*")
    assert 0 < client.ttl(key) <= 60


@pytest.mark.redis
def test_offering_and_agency_pages_are_cached_for_visitors(cached_app, offering):
    for url in (f"/offerings/{offering.id}", f"/agencies/{offering.agency_id}"):
        first, second = visit(cached_app, url), visit(cached_app, url)
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
        assert "材料检测服务" in text(second)


@pytest.mark.redis
def test_a_visitor_page_has_no_csrf_token_and_sets_no_cookie_with_csrf_on(cached_app,
                                                                        offering):
    cached_app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url in ("/", "/catalogue", f"/offerings/{offering.id}",
                    f"/agencies/{offering.agency_id}", "/transparency"):
            response = visit(cached_app, url)
            assert response.status_code == 200
            assert "Set-Cookie" not in response.headers, url
            assert "csrf_token" not in text(response), url
            assert visit(cached_app, url).headers["X-Cache"] == "hit", url
    finally:
        cached_app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.redis
def test_a_signed_in_user_is_never_served_a_stored_page_nor_stores_one(cached_app, offering):
    member = offering.agency.organisation.members[0]
    client = cached_app.test_client()
    login(client, member.email)
    for _ in range(2):
        page = visit(cached_app, "/catalogue", client)
        assert page.headers["X-Cache"] == "bypass"
        assert page.headers["Cache-Control"] == "private, no-store"
        assert "柳工程师" in text(page)
    first_visitor = visit(cached_app, "/catalogue")
    assert first_visitor.headers["X-Cache"] == "miss"       # the user stored nothing
    assert "柳工程师" not in text(first_visitor)

    # a visitor's stored copy is not served to the signed-in user either
    assert visit(cached_app, "/catalogue").headers["X-Cache"] == "hit"
    page = visit(cached_app, "/catalogue", client)
    assert page.headers["X-Cache"] == "bypass" and "柳工程师" in text(page)

    client.post("/logout")
    after = visit(cached_app, "/catalogue", client)      # shows "You are signed out"
    assert "柳工程师" not in text(after)
    assert after.headers["X-Cache"] != "hit"
    again = visit(cached_app, "/catalogue", client)
    assert again.headers["X-Cache"] == "hit" and "柳工程师" not in text(again)


@pytest.mark.redis
def test_a_bearer_token_or_a_remember_cookie_bypasses_the_cache(cached_app):
    visit(cached_app, "/")
    assert cached_app.test_client().get(
        "/", headers={"Authorization": "Bearer x"}).headers["X-Cache"] == "bypass"
    client = cached_app.test_client()
    client.set_cookie("remember_token", "1|whatever")
    assert client.get("/").headers["X-Cache"] == "bypass"


@pytest.mark.redis
@pytest.mark.parametrize("change", ["edit", "withdraw", "publish"])
def test_a_committed_change_to_an_offering_is_shown_to_the_next_visitor(cached_app, offering,
                                                                        change):
    member = offering.agency.organisation.members[0]
    if change == "publish":
        catalogue.withdraw_offering(offering, member)
        db.session.commit()
    url = "/catalogue?q=检测"
    assert visit(cached_app, url).headers["X-Cache"] == "miss"
    before = visit(cached_app, url)
    assert before.headers["X-Cache"] == "hit"
    if change == "edit":
        catalogue.update_offering(offering, member, title="高分子材料分析检测")
    elif change == "withdraw":
        catalogue.withdraw_offering(offering, member)
    else:
        catalogue.publish_offering(offering, member)
    db.session.flush()
    assert visit(cached_app, url).headers["X-Cache"] == "hit"    # not before the commit
    db.session.commit()
    after = visit(cached_app, url)
    assert after.headers["X-Cache"] == "miss"
    shown = {"edit": "高分子材料分析检测", "withdraw": None, "publish": "材料检测服务"}[change]
    if shown:
        assert shown in text(after)
    else:
        assert "材料检测服务" not in text(after)
    assert visit(cached_app, url).headers["X-Cache"] == "hit"


@pytest.mark.redis
def test_a_rolled_back_change_keeps_the_stored_pages(cached_app, offering):
    member = offering.agency.organisation.members[0]
    visit(cached_app, "/catalogue")
    catalogue.update_offering(offering, member, title="高分子材料分析检测")
    db.session.flush()
    db.session.rollback()
    assert visit(cached_app, "/catalogue").headers["X-Cache"] == "hit"


@pytest.mark.redis
def test_each_language_has_its_own_copy(cached_app):
    english = cached_app.test_client()
    english.get("/language?locale=en&next=/")
    pages = [english.get("/") for _ in range(3)]
    assert pages[-1].headers["X-Cache"] == "hit"
    assert "Innovation vouchers for technology services" in text(pages[-1])
    chinese = visit(cached_app, "/")
    assert chinese.headers["X-Cache"] == "miss"
    assert "Innovation vouchers for technology services" not in text(chinese)
    assert visit(cached_app, "/").get_data() == chinese.get_data()
    assert english.get("/").headers["X-Cache"] == "hit"


@pytest.mark.redis
def test_posts_never_use_the_cache(cached_app, offering):
    visit(cached_app, f"/offerings/{offering.id}")
    response = cached_app.test_client().post(f"/offerings/{offering.id}")
    assert response.status_code == 405
    assert "X-Cache" not in response.headers
    assert cached_app.test_client().post("/language", data={"locale": "en"}).status_code \
        == 302


@pytest.mark.redis
def test_a_visitor_with_flashed_messages_gets_a_fresh_page_that_is_not_stored(cached_app):
    client = cached_app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "只给这位访客的消息")]
    response = client.get("/")
    assert response.headers["X-Cache"] == "bypass"
    assert "只给这位访客的消息" in text(response)
    others = visit(cached_app, "/")
    assert others.headers["X-Cache"] == "miss"
    assert "只给这位访客的消息" not in text(others)


@pytest.fixture
def own_app(app, isolated_globals):
    """A product app of its own (its own cache settings, routes added before its first
    request). The limiter (one object for every app) is given this app's storage so that
    it keeps counting where the tests look."""
    limits = {name: app.config[name] for name in app.config if name.startswith("RATELIMIT_")}

    def make(**config):
        made = create_app({"CONFIG_NAME": "testing", "PAGE_CACHE_ENABLED": True, **limits,
                           **config})
        made.test_client_class = IsolatedClient
        return made
    yield make


@pytest.mark.redis
def test_responses_that_set_a_cookie_flash_or_fail_are_never_stored(own_app):
    from flask import flash, session
    made = own_app()

    def sets_cookie():
        session["seen"] = True
        return "personal"

    def flashes():
        flash("hello")
        return "flashed"

    def fails():
        return "no", 404

    for view in (sets_cookie, flashes, fails):
        made.add_url_rule(f"/{view.__name__}", view.__name__,
                          cached_for_visitors()(access(anyone)(view)))
    with made.app_context():
        for url in ("/sets_cookie", "/flashes", "/fails"):
            for _ in range(2):
                assert made.test_client().get(url).headers["X-Cache"] == "miss", url
        made.extensions["page_cache"].clear()


def test_with_redis_unreachable_pages_are_still_served_from_the_process(own_app, caplog):
    made = own_app(PAGE_CACHE_URL="redis://127.0.0.1:1/0")
    with made.app_context():
        first, second = made.test_client().get("/"), made.test_client().get("/")
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
        assert first.get_data() == second.get_data()
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_without_redis_the_in_process_cache_is_invalidated_by_a_commit(own_app, offering):
    made = own_app(REDIS_URL=None, PAGE_CACHE_URL=None)
    offering_id, member_id = offering.id, offering.agency.organisation.members[0].id
    with made.app_context():     # its own session: the commit bumps this app's cache
        made.test_client().get("/catalogue")
        assert made.test_client().get("/catalogue").headers["X-Cache"] == "hit"
        catalogue.update_offering(db.session.get(Offering, offering_id),
                                  db.session.get(User, member_id), title="高分子材料分析检测")
        db.session.commit()
        after = made.test_client().get("/catalogue")
        assert after.headers["X-Cache"] == "miss" and "高分子材料分析检测" in text(after)


@pytest.mark.redis
def test_a_change_committed_by_another_worker_reaches_this_one_through_redis(cached_app):
    from marketplace.core.page_store import PageCache
    here = cached_app.extensions["page_cache"]
    here.generation_seconds = 0         # read Redis's generation on every request
    try:
        visit(cached_app, "/")
        assert visit(cached_app, "/").headers["X-Cache"] == "hit"
        PageCache(cached_app).bump()    # another worker's commit
        assert visit(cached_app, "/").headers["X-Cache"] == "miss"
    finally:
        here.generation_seconds = cached_app.config["PAGE_CACHE_GENERATION_SECONDS"]


@pytest.mark.redis
def test_a_bulk_update_of_offerings_also_counts_as_a_change(cached_app, offering):
    from sqlalchemy import update
    visit(cached_app, "/catalogue")
    db.session.execute(update(Offering).where(Offering.id == offering.id)
                       .values(title="高分子材料分析检测"))
    db.session.commit()
    after = visit(cached_app, "/catalogue")
    assert after.headers["X-Cache"] == "miss" and "高分子材料分析检测" in text(after)
