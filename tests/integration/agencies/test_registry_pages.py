"""The registry's pages through the test client: an agency applies, an auditor decides, the
public sees the notice, a firm objects, the auditor resolves and admits, suspends and
removes."""
import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.agencies import permissions as perms
from marketplace.agencies import services
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, Objection,
                                         ObjectionStatus, ServiceCategory)
from marketplace.core import outbox
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (PDF_BYTES, AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile)

INTRODUCTION = "We test metals and polymers for firms in Nanchang and across Jiangxi."


def text_of(response):
    return unescape(response.get_data(as_text=True))


def reload(agency_id):
    db.session.expire_all()
    return db.session.get(AgencyProfile, agency_id)


def category_id(code):
    return db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code == code)).scalar_one()


def flashes(client):
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def profile_data(**changes):
    data = {"agency_type": "institute", "location": "in_city", "home_city": "",
            "category_ids": [str(category_id("testing")), str(category_id("ip"))],
            "introduction": INTRODUCTION, "staff_count": "30", "qualified_staff_count": "12",
            "staff_qualifications": "5 senior engineers", "years_in_operation": "8",
            "fee_schedule": "From 800 yuan per test"}
    data.update(changes)
    return data


@pytest.fixture
def agency_member():
    member = AgencyMemberFactory(locale="en")
    db.session.commit()
    return member


def sign_in_as(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def test_a_rejected_profile_form_keeps_what_was_typed_and_says_what_is_wrong(client,
                                                                            agency_member):
    login(client, agency_member.email)
    response = client.post("/registry/application", data=profile_data(
        location="out_of_town", home_city="", staff_count="many",
        qualified_staff_count="12", introduction="Typed introduction stays."))
    assert response.status_code == 422
    page = text_of(response)
    assert "Name the city where an out-of-town agency is based." in page
    assert "Enter a whole number." in page
    assert "Typed introduction stays." in page and 'value="many"' in page
    assert re.search(r'<input checked[^>]*value="out_of_town"', page)
    response = client.post("/registry/application", data=profile_data(
        staff_count="5", qualified_staff_count="9"))
    assert response.status_code == 422
    assert "Cannot be more than the staff." in text_of(response)
    assert db.session.get(AgencyProfile, agency_member.organisation_id) is None  # not saved


def test_an_agency_fills_in_uploads_and_submits(client, agency_member, auditor):
    login(client, agency_member.email)
    page = text_of(client.get("/registry/application"))
    assert "Still missing before the application can be submitted:" in page
    assert "No document yet." in page
    response = client.post("/registry/application", data=profile_data(
        location="out_of_town", home_city="Wuhan"))
    assert response.status_code == 302
    profile = reload(agency_member.organisation_id)
    assert (profile.in_city, profile.home_city, profile.staff_count) == (False, "Wuhan", 30)
    assert sorted(c.code for c in profile.categories) == ["ip", "testing"]
    response = client.post("/registry/documents", data={
        "doc-kind": "business_licence", "doc-title": "Business licence",
        "doc-expires_on": (date.today() + timedelta(days=400)).isoformat(),
        "doc-file": (io.BytesIO(PDF_BYTES), "licence.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = text_of(client.get("/registry/application"))
    assert "The application is complete and can be submitted." in page
    assert "Business licence" in page and "licence.pdf" in page
    # submitting needs the confirmation
    response = client.post("/registry/application/submit", data={})
    assert response.status_code == 302
    assert flashes(client) == ["Tick the box to confirm the submission."]
    assert reload(agency_member.organisation_id).status == AgencyStatus.DRAFT
    response = client.post("/registry/application/submit", data={"submission-confirm": "y"})
    assert response.status_code == 302
    assert reload(agency_member.organisation_id).status == AgencyStatus.SUBMITTED
    page = text_of(client.get("/registry/application"))
    assert "The bureau's auditors are reviewing it" in page
    assert 'name="agency_type"' not in page                    # no longer editable
    home = text_of(client.get("/"))
    assert "Next: wait for the auditor's decision" in home
    # the auditor finds it in the queue, the oldest first
    auditor_client = sign_in_as(client.application, auditor)
    queue = text_of(auditor_client.get("/registry/review"))
    assert agency_member.organisation.name in queue


def test_the_auditor_returns_rejects_and_the_agency_reopens(app, agency_member, auditor):
    profile = make_agency_profile(agency_member, status="submitted")
    db.session.commit()
    agency_id = profile.organisation_id
    reviewer = sign_in_as(app, auditor)
    url = f"/registry/review/{agency_id}/decision"
    response = reviewer.post(url, data={"decision-decision": "return",
                                        "decision-reason": "  "})
    assert response.status_code == 422
    assert "Please give a reason." in text_of(response)
    response = reviewer.post(url, data={"decision-decision": "return",
                                        "decision-reason": "Add the CMA certificate."})
    assert response.status_code == 302
    assert reload(agency_id).status == AgencyStatus.RETURNED
    agency = sign_in_as(app, agency_member)
    page = text_of(agency.get("/registry/application"))
    assert "Add the CMA certificate." in page and 'name="agency_type"' in page
    agency.post("/registry/application/submit", data={"submission-confirm": "y"})
    assert reload(agency_id).status == AgencyStatus.SUBMITTED
    # a rejection needs a reason and an explicit confirmation
    response = reviewer.post(url, data={"decision-decision": "reject",
                                        "decision-reason": "Out of scope."})
    assert response.status_code == 422
    page = text_of(response)
    assert "Tick the box to confirm this step." in page and "Out of scope." in page
    assert reload(agency_id).status == AgencyStatus.SUBMITTED
    response = reviewer.post(url, data={"decision-decision": "reject",
                                        "decision-reason": "Out of scope.",
                                        "decision-confirm": "y"})
    assert response.status_code == 302
    page = text_of(agency.get("/registry/application"))
    assert "Out of scope." in page and "Correct the application and apply again" in page
    assert agency.post("/registry/application/reopen").status_code == 302
    assert reload(agency_id).status == AgencyStatus.DRAFT
    # a second decision on a decided application is refused, not a 500
    response = reviewer.post(url, data={"decision-decision": "approve"})
    assert response.status_code == 409


def test_notice_objection_resolution_and_admission(app, agency_member, auditor):
    profile = make_agency_profile(agency_member, status="submitted",
                                  category_codes=("testing",))
    firm_member = FirmMemberFactory(locale="en")
    db.session.commit()
    agency_id, name = profile.organisation_id, agency_member.organisation.name
    reviewer = sign_in_as(app, auditor)
    assert reviewer.post(f"/registry/review/{agency_id}/decision",
                         data={"decision-decision": "approve"}).status_code == 302
    assert reload(agency_id).status == AgencyStatus.PUBLIC_NOTICE
    # a visitor sees the notice, but must sign in to object
    visitor = app.test_client()
    visitor.post("/language", data={"locale": "en", "next": "/"})
    notices = text_of(visitor.get("/registry/notices"))
    assert name in notices and "Inspection and testing" in notices
    page = text_of(visitor.get(f"/registry/notices/{agency_id}"))
    assert "Sign in to file an objection." in page and "本机构提供检验检测" in page
    assert visitor.post(f"/registry/notices/{agency_id}/objections",
                        data={"text": "x" * 20}).location.startswith("/login")
    # the agency's own member cannot object
    own = sign_in_as(app, agency_member)
    assert own.post(f"/registry/notices/{agency_id}/objections",
                    data={"text": "We object to ourselves."}).status_code == 403
    assert "Objections filed: 0" in text_of(own.get("/registry/application"))
    # a firm objects; a too-short objection keeps its text
    firm = sign_in_as(app, firm_member)
    response = firm.post(f"/registry/notices/{agency_id}/objections", data={"text": "bad"})
    assert response.status_code == 422 and "bad</textarea>" in response.get_data(as_text=True)
    assert "Explain the objection in at least 10 characters." in text_of(response)
    response = firm.post(f"/registry/notices/{agency_id}/objections",
                         data={"text": "The lab moved away last year."})
    assert response.status_code == 302
    assert "Objections filed: 1, of which open: 1." in text_of(own.get("/registry/application"))
    # the auditor cannot admit yet, and is told why
    page = text_of(reviewer.get(f"/registry/review/{agency_id}"))
    assert "The lab moved away last year." in page
    assert "The notice has not ended yet" in page
    reviewer.post(f"/registry/review/{agency_id}/conclude")
    assert flashes(reviewer) == ["The public notice has not ended yet."]
    profile = reload(agency_id)
    profile.notice_ends_dt = now_utc() - timedelta(minutes=1)
    db.session.commit()
    assert "Resolve the open objections first: 1 still open." in text_of(
        reviewer.get(f"/registry/review/{agency_id}"))
    objection = db.session.execute(select(Objection)).scalar_one()
    prefix = f"objection-{objection.id}-"
    response = reviewer.post(f"/registry/objections/{objection.id}/resolve",
                             data={prefix + "decision": "dismiss"})
    assert response.status_code == 422 and "Please give a reason." in text_of(response)
    response = reviewer.post(f"/registry/objections/{objection.id}/resolve", data={
        prefix + "decision": "dismiss", prefix + "resolution": "Checked on site: it is there."})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == ObjectionStatus.DISMISSED
    response = reviewer.post(f"/registry/review/{agency_id}/conclude")
    assert response.status_code == 302
    assert reload(agency_id).status == AgencyStatus.ADMITTED
    assert "Admitted to the registry on" in text_of(own.get("/registry/application"))
    assert "Next: publish your offerings" in text_of(own.get("/"))
    # off notice now: the notice page is gone
    assert visitor.get(f"/registry/notices/{agency_id}").status_code == 404
    assert "No agency is on public notice." in text_of(visitor.get("/registry/notices"))


def test_an_objection_upheld_on_the_page_rejects_the_application(app, auditor):
    profile = make_agency_profile(status="public_notice")
    firm_member = FirmMemberFactory()
    db.session.commit()
    firm = sign_in_as(app, firm_member)
    firm.post(f"/registry/notices/{profile.organisation_id}/objections",
              data={"text": "The certificates are forged."})
    objection = db.session.execute(select(Objection)).scalar_one()
    prefix = f"objection-{objection.id}-"
    reviewer = sign_in_as(app, auditor)
    data = {prefix + "decision": "uphold", prefix + "resolution": "Forged, as verified."}
    response = reviewer.post(f"/registry/objections/{objection.id}/resolve", data=data)
    assert response.status_code == 422                       # upholding must be confirmed
    assert reload(profile.organisation_id).status == AgencyStatus.PUBLIC_NOTICE
    response = reviewer.post(f"/registry/objections/{objection.id}/resolve",
                             data={**data, prefix + "confirm": "y"})
    assert response.status_code == 302
    profile = reload(profile.organisation_id)
    assert profile.status == AgencyStatus.REJECTED
    assert profile.status_reason == "Forged, as verified."


def test_suspension_hides_the_agency_and_removal_needs_confirmation(app, auditor):
    profile = make_agency_profile(status="admitted")
    db.session.commit()
    agency_id = profile.organisation_id
    assert perms.can_view_agency_page(None, profile)
    reviewer = sign_in_as(app, auditor)
    url = f"/registry/review/{agency_id}/status"
    page = text_of(reviewer.get(f"/registry/review/{agency_id}"))
    assert 'value="suspend"' in page and 'value="reinstate"' not in page
    response = reviewer.post(url, data={"status-action": "suspend"})
    assert response.status_code == 422 and "Please give a reason." in text_of(response)
    response = reviewer.post(url, data={"status-action": "suspend",
                                        "status-reason": "Complaint under investigation."})
    assert response.status_code == 302
    profile = reload(agency_id)
    assert profile.status == AgencyStatus.SUSPENDED
    assert not perms.can_view_agency_page(None, profile)     # hidden from visitors
    assert app.test_client().get(f"/registry/notices/{agency_id}").status_code == 404
    page = text_of(reviewer.get(f"/registry/review/{agency_id}"))
    assert 'value="reinstate"' in page and 'value="suspend"' not in page
    response = reviewer.post(url, data={"status-action": "remove",
                                        "status-reason": "Serious breach."})
    assert response.status_code == 422
    assert "Tick the box to confirm this step." in text_of(response)
    response = reviewer.post(url, data={"status-action": "remove",
                                        "status-reason": "Serious breach.",
                                        "status-confirm": "y"})
    assert response.status_code == 302
    assert reload(agency_id).status == AgencyStatus.REMOVED
    response = reviewer.post(url, data={"status-action": "reinstate"})
    assert response.status_code == 409                          # removal is final


def test_a_supervisor_sees_the_application_but_cannot_decide(app, auditor):
    profile = make_agency_profile(status="submitted")
    supervisor = UserFactory(role=Role.SUPERVISOR, locale="en")
    db.session.commit()
    client = sign_in_as(app, supervisor)
    page = text_of(client.get(f"/registry/review/{profile.organisation_id}"))
    assert "Only auditors decide" in page and 'name="decision-decision"' not in page
    assert client.post(f"/registry/review/{profile.organisation_id}/decision",
                       data={"decision-decision": "approve"}).status_code == 403
    assert reload(profile.organisation_id).status == AgencyStatus.SUBMITTED


def test_the_queue_filters_by_status_counts_objections_and_pages(app, auditor):
    waiting = [make_agency_profile(status="submitted") for _ in range(21)]
    noticed = make_agency_profile(status="public_notice")
    admitted_one = make_agency_profile(status="admitted")
    services.file_objection(noticed, FirmMemberFactory(), "An objection to count here.")
    db.session.commit()
    outbox._committed_ids.set(None)   # the notifications of the set-up are not tested here
    client = sign_in_as(app, auditor)
    first = text_of(client.get("/registry/review"))
    assert waiting[0].name in first and "23 in all" not in first and "22 in all" in first
    second = text_of(client.get("/registry/review?page=2"))
    assert noticed.name in second and waiting[0].name not in second
    assert '<span class="badge text-bg-danger">1</span>' in second
    admitted = text_of(client.get("/registry/review?status=admitted"))
    assert admitted_one.name in admitted and waiting[0].name not in admitted
    assert text_of(client.get("/registry/review?status=removed")).count("Nothing to review.") == 1


def test_the_registry_list_searches_by_name_and_status(app, auditor):
    first = make_agency_profile(status="admitted")
    second = make_agency_profile(status="suspended")
    first.organisation.name = "Ganjiang Testing Centre"
    second.organisation.name = "Poyang IP Agency 100%"
    db.session.commit()
    client = sign_in_as(app, auditor)
    page = text_of(client.get("/registry/agencies?q=testing"))
    assert "Ganjiang Testing Centre" in page and "Poyang" not in page
    page = text_of(client.get("/registry/agencies?status=suspended"))
    assert "Poyang" in page and "Ganjiang" not in page
    assert "No agency matches." in text_of(client.get("/registry/agencies?q=nothing-like-it"))
    # % and _ are searched for as themselves, not as wildcards
    page = text_of(client.get("/registry/agencies?q=%25"))
    assert "Poyang" in page and "Ganjiang" not in page
    assert "No agency matches." in text_of(client.get("/registry/agencies?q=_"))


@pytest.mark.parametrize("status, says", [
    ("draft", "Fill in the profile"),
    ("returned", "The auditor returned the application for correction."),
    ("submitted", "The bureau's auditors are reviewing it"),
    ("public_notice", "on public notice until"),
    ("admitted", "Admitted to the registry on"),
    ("rejected", "The application is rejected."),
    ("suspended", "The agency is suspended"),
    ("removed", "The agency is removed from the registry."),
])
def test_each_state_shows_where_the_application_stands(app, auditor, status, says):
    member = AgencyMemberFactory(locale="en")
    decision = {"returned": "return", "rejected": "reject"}.get(status)
    profile = make_agency_profile(member, status="submitted" if decision else status)
    if decision:
        services.decide(profile, auditor, decision, reason="Reason given by the auditor.")
    db.session.commit()
    agency = sign_in_as(app, member)
    page = text_of(agency.get("/registry/application"))
    assert says in page
    assert ("Reason given by the auditor." in page) == bool(decision)
    assert ('name="agency_type"' in page) == (status in ("draft", "returned"))
    assert ("Upload a document" in page) == (status != "removed")
    assert agency.get("/").status_code == 200
    review = sign_in_as(app, auditor).get(f"/registry/review/{profile.organisation_id}")
    assert review.status_code == 200
