"""Route × role × ownership: the designed answer of every endpoint to every kind of user.

Every endpoint of the app needs a row in EXPECTED: a new route without one makes
``test_every_endpoint_has_a_row_in_the_access_table`` fail and name it. HTML pages are
reached with a real session (POST /login); API operations with a bearer token.

Statuses: 200, 201, 204, 302 (a redirect, *not* to the login page), ``LOGIN`` (a visitor
sent to the login page), 401, 403, 404 (an object of another organisation or user, whose
existence is not disclosed), 422 (a form re-rendered with its errors). POSTs send an empty
form and API operations an empty JSON object unless ``_body`` says otherwise: the table
states what the app does with that.

Objects in URLs: ``own``/``other`` is the acting user's own object or another user's (or
organisation's); ``firm`` is an object of the firm of firm_owner and firm_member, and
``other_firm`` one of a firm none of the roles belongs to; ``missing`` an id that does not
exist.
"""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.security import generate_password_hash

from marketplace.accounts import permissions as account_perms
from marketplace.accounts.models import ApiToken, District, Invitation, InvitationStatus, Role
from marketplace.accounts.services import issue_api_token
from marketplace.core import outbox
from marketplace.core.permissions import Predicate
from marketplace.extensions import db
from marketplace.vouchers import permissions as voucher_perms
from marketplace.vouchers import services as vouchers
from tests.integration.access_rows import ROW_MODULES
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR, EXPERT,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_ONLY, FIRM_OWNER, LOGIN,
                                  MEMBERS, MISSING_ID, NO_TOKEN, OTHERS, OWNERS, REVIEWERS,
                                  ROLES, SIGNED_IN, SIGNED_IN_GO_HOME, STAFF, STAFF_ONLY,
                                  SUPERVISOR, VISITOR, ByObject, by_object)
from tests.factories import (TEST_PASSWORD, AgencyMemberFactory, FirmFactory,
                             FirmMemberFactory, UserFactory, make_application, make_programme)

SKIPPED_ENDPOINTS = {"static", "bootstrap.static", "swagger_ui.static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# a voucher or application: its firm, the reviewers and the admin see it; others get 404
FIRMS_OWN_OBJECT = {VISITOR: LOGIN, FIRM_MEMBERS: 200, REVIEWERS: 200, ADMIN: 200, OTHERS: 404}
OTHER_FIRMS_OBJECT = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 404}

EXPECTED = {
    # site
    ("site.home", "GET"):                       {OTHERS: 200},
    ("site.set_language", "POST"):              {OTHERS: 302},
    ("site.set_language", "GET"):               {OTHERS: 302},   # visitors' cached pages
    ("site.healthz", "GET"):                    {OTHERS: 200},
    ("site.readyz", "GET"):                     {OTHERS: 200},
    # sign-in, registration, password reset, invitations (empty forms)
    ("accounts.login", "GET"):                  SIGNED_IN_GO_HOME,
    ("accounts.login", "POST"):                 SIGNED_IN_GO_HOME,
    ("accounts.logout", "POST"):                {VISITOR: LOGIN, OTHERS: 302},
    ("accounts.register", "GET"):               SIGNED_IN_GO_HOME,
    ("accounts.register", "POST"):              SIGNED_IN_GO_HOME,
    ("accounts.forgot_password", "GET"):        {OTHERS: 200},
    ("accounts.forgot_password", "POST"):       {OTHERS: 200},
    ("accounts.reset_password", "GET"):         {OTHERS: 302},   # invalid token: flash
    ("accounts.reset_password", "POST"):        {OTHERS: 302},
    ("accounts.accept_invitation", "GET"):      {OTHERS: 302},   # invalid token: flash
    ("accounts.accept_invitation", "POST"):     {OTHERS: 302},
    ("accounts.signin_link", "GET"):            {OTHERS: 302},   # invalid token: flash
    ("accounts.signin_link", "POST"):           {OTHERS: 302},
    # profile and API tokens
    ("accounts.profile", "GET"):                SIGNED_IN,
    # an empty POST is not "no data": the form falls back to the user's own values
    ("accounts.profile", "POST"):               {VISITOR: LOGIN, OTHERS: 302},
    ("accounts.change_password", "POST"):       {VISITOR: LOGIN, OTHERS: 422},
    ("accounts.create_token", "POST"):          {VISITOR: LOGIN, OTHERS: 422},
    ("notifications.notification_settings", "POST"): {VISITOR: LOGIN, OTHERS: 302},
    ("accounts.revoke_token", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, OTHERS: 302},
        other=                                  {VISITOR: LOGIN, OTHERS: 404},
        missing=                                {VISITOR: LOGIN, OTHERS: 404}),
    # the organisation
    ("accounts.organisation", "GET"):           {VISITOR: LOGIN, MEMBERS: 200, OTHERS: 403},
    ("accounts.invite", "POST"):                {VISITOR: LOGIN, OWNERS: 422, OTHERS: 403},
    ("accounts.revoke_invitation", "POST"): by_object(
        own=                                    {VISITOR: LOGIN, OWNERS: 302, OTHERS: 403},
        other=                                  {VISITOR: LOGIN, OWNERS: 404, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, OWNERS: 404, OTHERS: 403}),
    # the administrator
    ("admin.users", "GET"):                     ADMIN_ONLY,
    ("admin.new_user", "GET"):                  ADMIN_ONLY,
    ("admin.new_user", "POST"):                 ADMIN_ONLY,              # form with errors
    ("admin.set_user_active", "POST"): by_object(
        other=                                  {VISITOR: LOGIN, ADMIN: 302, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    ("admin.districts", "GET"):                 ADMIN_ONLY,
    ("admin.edit_district", "GET"): by_object(
        new=                                    ADMIN_ONLY,
        existing=                               ADMIN_ONLY,
        missing=                                {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    ("admin.edit_district", "POST"): by_object(
        new=                                    ADMIN_ONLY,              # form with errors
        existing=                               ADMIN_ONLY,              # form with errors
        missing=                                {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    # the inbox
    ("notifications.inbox", "GET"):             SIGNED_IN,
    ("notifications.mark_read", "POST"):        {VISITOR: LOGIN, OTHERS: 302},
    # voucher programmes, applications, vouchers
    ("vouchers.programmes", "GET"):             SIGNED_IN,
    ("vouchers.public_budget", "GET"):          {OTHERS: 200},
    ("vouchers.programme_budget", "GET"): by_object(
        existing=                               STAFF_ONLY,
        missing=                                {VISITOR: LOGIN, STAFF: 404, OTHERS: 403}),
    ("vouchers.apply", "GET"): by_object(
        existing=                               FIRM_ONLY,
        missing=                                {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403}),
    ("vouchers.apply", "POST"): by_object(
        existing=                               {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 OTHERS: 403},           # form with errors
        missing=                                {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403}),
    ("vouchers.my_vouchers", "GET"):            FIRM_ONLY,
    ("vouchers.voucher", "GET"): by_object(
        firm=                                   FIRMS_OWN_OBJECT,
        other_firm=                             OTHER_FIRMS_OBJECT,
        missing=                                {VISITOR: LOGIN, OTHERS: 404}),
    ("vouchers.application", "GET"): by_object(
        firm=                                   FIRMS_OWN_OBJECT,
        other_firm=                             OTHER_FIRMS_OBJECT,
        missing=                                {VISITOR: LOGIN, OTHERS: 404}),
    # the firm's application is returned for correction: only the firm may change it
    ("vouchers.application", "POST"): by_object(
        firm=                                   {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 REVIEWERS: 403, ADMIN: 403, OTHERS: 404},
        other_firm=                             {VISITOR: LOGIN, REVIEWERS: 403, ADMIN: 403,
                                                 OTHERS: 404},
        missing=                                {VISITOR: LOGIN, OTHERS: 404}),
    ("vouchers.withdraw", "POST"): by_object(
        firm=                                   {VISITOR: LOGIN, FIRM_MEMBERS: 302, OTHERS: 403},
        other_firm=                             {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, FIRM_MEMBERS: 404, OTHERS: 403}),
    # the queue is shown to those who may open its items (can_view_application_queue)
    ("vouchers.review_queue", "GET"):           {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200,
                                                 OTHERS: 403},
    ("vouchers.review", "GET"): by_object(
        firm=                                   {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200,
                                                 EXPERT: 404, OTHERS: 403},
        other_firm=                             {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200,
                                                 EXPERT: 404, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, STAFF: 404, OTHERS: 403}),
    ("vouchers.review", "POST"): by_object(     # only the auditor decides (form with errors)
        other_firm=                             {VISITOR: LOGIN, AUDITOR: 422, EXPERT: 404,
                                                 OTHERS: 403},
        missing=                                {VISITOR: LOGIN, STAFF: 404, OTHERS: 403}),
    ("programme_admin.programmes", "GET"):      ADMIN_ONLY,
    ("programme_admin.new_programme", "GET"):   ADMIN_ONLY,
    ("programme_admin.new_programme", "POST"):  ADMIN_ONLY,              # form with errors
    ("programme_admin.edit_programme", "GET"): by_object(
        existing=                               ADMIN_ONLY,
        missing=                                {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    ("programme_admin.edit_programme", "POST"): by_object(
        existing=                               ADMIN_ONLY,              # form with errors
        missing=                                {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}),
    # the JSON API
    ("api.create_token", "POST"):               {VISITOR: 401, OTHERS: 201},  # own credentials
    ("api.revoke_current_token", "DELETE"):     {**NO_TOKEN, OTHERS: 204},
    ("api.me", "GET"):                          {**NO_TOKEN, OTHERS: 200},
    ("api.openapi_document", "GET"):            {OTHERS: 200},
    ("api.list_programmes", "GET"):             {**NO_TOKEN, OTHERS: 200},
    # NB: any signed-in token reads a budget the page vouchers.programme_budget keeps to
    # staff (the public /budget page shows the same figures).
    ("api.programme_budget", "GET"): by_object(
        existing=                               {**NO_TOKEN, OTHERS: 200},
        missing=                                {**NO_TOKEN, OTHERS: 404}),
    ("api.create_application", "POST"):         {**NO_TOKEN, FIRM_MEMBERS: 422, OTHERS: 403},
    # firms see their own, the reviewers and the admin all (can_list_applications)
    ("api.list_applications", "GET"):           {**NO_TOKEN, FIRM_MEMBERS: 200, REVIEWERS: 200,
                                                 ADMIN: 200, OTHERS: 403},
    ("api.decide_application", "POST"): by_object(  # a valid "return" decision
        other_firm=                             {**NO_TOKEN, AUDITOR: 200, OTHERS: 403},
        missing=                                {**NO_TOKEN, AUDITOR: 404, OTHERS: 403}),
    ("api.list_vouchers", "GET"):               {**NO_TOKEN, FIRM_MEMBERS: 200, OTHERS: 403},
    ("api.docs", "GET"):                        {OTHERS: 200},
}
for _rows in ROW_MODULES:   # the rows of later domains live in access_rows/
    EXPECTED.update(_rows.EXPECTED)


def expected_status(row, role):
    """The status a row gives ``role``; a role named twice is a mistake in the table."""
    found = [status for roles, status in row.items()
             if roles != OTHERS and role in ((roles,) if isinstance(roles, str) else roles)]
    assert len(found) <= 1, f"{role} appears more than once in {row}"
    if found:
        return found[0]
    assert OTHERS in row, f"{role} is not covered by {row}"
    return row[OTHERS]


# A route's roles share one world and run in one test (a world costs far more than a
# request); the few whose answer changes what the next role would see run one role per
# test, each in a fresh world.
ISOLATED = {
}


def _cases():
    for (endpoint, method), row in EXPECTED.items():
        variants = row.items() if isinstance(row, ByObject) else [(None, row)]
        for variant, by_role in variants:
            name = endpoint + (f"[{variant}]" if variant else "")
            expected = {role: expected_status(by_role, role) for role in ROLES}
            if (endpoint, method) in ISOLATED:
                for role in ROLES:
                    yield pytest.param(endpoint, method, variant, (role,), expected,
                                       id=f"{name}-{method}-{role}")
            else:
                yield pytest.param(endpoint, method, variant, ROLES, expected,
                                   id=f"{name}-{method}")


CASES = list(_cases())


# --- the people and objects of one test ----------------------------------------------

# The real scrypt hash costs ~0.1 s per sign-in; a cheap hash of the same password keeps
# hundreds of real POST /login requests fast without changing what they exercise.
_CHEAP_HASH = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")


@dataclass
class World:
    users: dict = field(default_factory=dict)        # role -> User
    tokens: dict = field(default_factory=dict)       # role -> (ApiToken, plaintext)
    invitations: dict = field(default_factory=dict)  # organisation id -> Invitation
    firm: object = None
    agency: object = None
    other_firm: object = None
    outsider: object = None                          # owner of other_firm
    outsider_token: object = None
    district: object = None
    programme: object = None                         # open; holds both applications
    applications: dict = field(default_factory=dict)  # "firm" / "other_firm" -> application
    extra: dict = field(default_factory=dict)         # objects of the access_rows modules
    vouchers: dict = field(default_factory=dict)      # "firm" / "other_firm" -> voucher

    def user(self, role):
        return self.users.get(role)


@pytest.fixture
def world():
    firm = FirmFactory()
    outsider = FirmMemberFactory(password_hash=_CHEAP_HASH)
    users = {
        FIRM_OWNER: FirmMemberFactory(organisation=firm, is_owner=True,
                                      password_hash=_CHEAP_HASH),
        FIRM_MEMBER: FirmMemberFactory(organisation=firm, is_owner=False,
                                       password_hash=_CHEAP_HASH),
        AGENCY_OWNER: AgencyMemberFactory(is_owner=True, password_hash=_CHEAP_HASH),
    }
    for role in STAFF:
        users[role] = UserFactory(role=Role(role), password_hash=_CHEAP_HASH)
    built = World(users=users, firm=firm, agency=users[AGENCY_OWNER].organisation,
                  other_firm=outsider.organisation, outsider=outsider,
                  district=db.session.query(District).order_by(District.id).first())
    for role, user in users.items():
        built.tokens[role] = issue_api_token(user, f"{role} token")
    built.outsider_token = issue_api_token(outsider, "outsider token")
    for inviter in (users[FIRM_OWNER], users[AGENCY_OWNER], outsider):
        invitation = Invitation(organisation_id=inviter.organisation_id,
                                email=f"invited-by-{inviter.id}@example.com",
                                invited_by_id=inviter.id, status=InvitationStatus.PENDING)
        db.session.add(invitation)
        built.invitations[inviter.organisation_id] = invitation
    db.session.commit()
    return built


def add_vouchers(built):
    """Programmes, applications and vouchers, for the tests of the voucher domain: the
    firm's application is returned for correction, the other firm's is submitted; each
    firm holds a voucher of a second programme."""
    admin, auditor = built.users[ADMIN], built.users[AUDITOR]
    built.programme = make_programme(actor=admin)
    voucher_programme = make_programme(actor=admin)
    for key, member in (("firm", built.users[FIRM_OWNER]), ("other_firm", built.outsider)):
        built.applications[key] = make_application(built.programme, member)
        granted = make_application(voucher_programme, member)
        built.vouchers[key] = vouchers.decide_application(granted, actor=auditor,
                                                          decision="approve")
    vouchers.decide_application(built.applications["firm"], actor=auditor, decision="return",
                                comment="Please name the services you plan to buy.")
    db.session.commit()
    # The notifications these decisions queue are not what is tested here: drop the
    # thread's list of committed outbox messages (as the database reset does), or the
    # test's first request would relay them all.
    outbox._committed_ids.set(None)


def _needs_vouchers(app, endpoint):
    return "vouchers" in app.view_functions[endpoint].__module__


# --- how each endpoint's URL is filled --------------------------------------------------

INVALID_TOKEN = "not-a-valid-token"


def _own_token_id(world, role, variant):
    if variant == "missing":
        return {"token_id": MISSING_ID}
    if variant == "other":
        return {"token_id": world.outsider_token[0].id}
    owner = role if role in world.tokens else FIRM_OWNER   # the visitor has none of its own
    return {"token_id": world.tokens[owner][0].id}


def _invitation_id(world, role, variant):
    if variant == "missing":
        return {"invitation_id": MISSING_ID}
    if variant == "other":
        return {"invitation_id": world.invitations[world.other_firm.id].id}
    user = world.user(role)
    organisation_id = user.organisation_id if user and user.organisation_id else world.firm.id
    return {"invitation_id": world.invitations[organisation_id].id}


def _programme_id(world, role, variant):
    return {"programme_id": MISSING_ID if variant == "missing" else world.programme.id}


def _application_id(world, role, variant):
    return {"application_id": MISSING_ID if variant == "missing"
            else world.applications[variant].id}


URL_VALUES = {
    "accounts.reset_password": lambda w, r, v: {"token": INVALID_TOKEN},
    "accounts.accept_invitation": lambda w, r, v: {"token": INVALID_TOKEN},
    "accounts.signin_link": lambda w, r, v: {"token": INVALID_TOKEN},
    "accounts.revoke_token": _own_token_id,
    "accounts.revoke_invitation": _invitation_id,
    "admin.set_user_active": lambda w, r, v: {
        "user_id": MISSING_ID if v == "missing" else w.outsider.id},
    "admin.edit_district": lambda w, r, v: {
        "new": {}, "existing": {"district_id": w.district.id},
        "missing": {"district_id": MISSING_ID}}[v],
    "vouchers.programme_budget": _programme_id,
    "vouchers.apply": _programme_id,
    "programme_admin.edit_programme": _programme_id,
    "api.programme_budget": _programme_id,
    "vouchers.voucher": lambda w, r, v: {
        "voucher_id": MISSING_ID if v == "missing" else w.vouchers[v].id},
    "vouchers.application": _application_id,
    "vouchers.withdraw": _application_id,
    "vouchers.review": _application_id,
    "api.decide_application": _application_id,
}
for _rows in ROW_MODULES:
    URL_VALUES.update(_rows.URL_VALUES)


def _body(endpoint, method, world, role):
    """The JSON body of an API call; HTML forms are posted empty."""
    for rows in ROW_MODULES:
        if endpoint in rows.BODIES:
            return rows.BODIES[endpoint](world, role)
    if endpoint == "api.create_token":
        user = world.user(role)
        return {"email": user.email if user else "nobody@example.com",
                "password": TEST_PASSWORD}
    if endpoint == "api.decide_application":
        return {"decision": "return", "comment": "Please add the supplier's quotation."}
    return {} if method == "POST" else None


def _is_api_operation(app, endpoint):
    """Operations declared with ``marketplace.api.spec.operation`` take a bearer token."""
    return hasattr(app.view_functions[endpoint], "api_auth")


def _sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, f"could not sign in {user.email}"
    assert urlsplit(response.location).path == "/"


def _request(app, world, endpoint, method, variant, role):
    client = app.test_client()
    user = world.user(role)
    values = URL_VALUES.get(endpoint, lambda w, r, v: {})(world, role, variant)
    url = app.url_map.bind("localhost").build(endpoint, values, method=method)
    headers = {}
    if _is_api_operation(app, endpoint):
        if user is not None:
            headers["Authorization"] = f"Bearer {world.tokens[role][1]}"
        body = _body(endpoint, method, world, role)
        return client.open(url, method=method, headers=headers, json=body)
    if user is not None:
        _sign_in(client, user)
    return client.open(url, method=method, data={} if method == "POST" else None)


def _is_login_page(location):
    return urlsplit(location or "").path == "/login"


# --- the tests ------------------------------------------------------------------------

def _routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            found.add((rule.endpoint, method))
    return found


def test_every_endpoint_has_a_row_in_the_access_table(app):
    missing = sorted(_routes(app) - set(EXPECTED))
    assert not missing, "endpoints without an entry in EXPECTED (add the designed answer " \
        "per role): " + ", ".join(f"{endpoint} {method}" for endpoint, method in missing)


def test_the_access_table_names_no_route_that_is_gone(app):
    stale = sorted(set(EXPECTED) - _routes(app))
    assert not stale, "EXPECTED rows for routes the app no longer has: " + \
        ", ".join(f"{endpoint} {method}" for endpoint, method in stale)


def test_every_rule_with_url_parameters_knows_how_to_fill_them(app):
    unfilled = sorted({rule.endpoint for rule in app.url_map.iter_rules()
                       if rule.arguments and rule.endpoint not in SKIPPED_ENDPOINTS
                       and rule.endpoint not in URL_VALUES})
    assert not unfilled, "no URL_VALUES entry for: " + ", ".join(unfilled)


@pytest.mark.parametrize("endpoint, method, variant, roles, expected", CASES)
def test_route_answers_each_role_as_designed(app, world, endpoint, method, variant, roles,
                                             expected):
    if _needs_vouchers(app, endpoint):
        add_vouchers(world)
    for rows in ROW_MODULES:
        if rows.needs(app, endpoint):
            rows.build(world)
    wrong = [problem for role in roles if (problem := _answer_problem(
        app, endpoint, method, variant, role, expected[role],
        _request(app, world, endpoint, method, variant, role)))]
    assert not wrong, "\n".join(wrong)


def _answer_problem(app, endpoint, method, variant, role, expected, response):
    where = f"{method} {endpoint}" + (f" [{variant}]" if variant else "") + f" as {role}"
    if expected == LOGIN:
        if response.status_code == 302 and _is_login_page(response.location):
            return None
        return (f"{where}: expected a redirect to the login page, got "
                f"{response.status_code} {response.location}")
    if response.status_code != expected:
        return f"{where}: expected {expected}, got {response.status_code} " \
               f"{response.location or ''}"
    if expected >= 400 and _is_api_operation(app, endpoint):
        error = (response.get_json(silent=True) or {}).get("error") or {}
        if not isinstance(error.get("code"), str):
            return f"{where}: an API error without an error code"
    if expected == 302 and _is_login_page(response.location):
        return f"{where}: a redirect to the login page for a signed-in user"
    return None


@pytest.mark.parametrize("path", [f"/password/reset/{INVALID_TOKEN}",
                                  f"/invitations/{INVALID_TOKEN}"])
def test_an_invalid_link_redirects_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 302
    with client.session_transaction() as session:
        flashes = session.get("_flashes", [])
    assert flashes == [("danger", "链接无效或已过期，请重新获取。")]  # zh is the default


def test_the_own_token_revoked_through_the_table_is_really_revoked(app, world):
    token, _plaintext = world.tokens[FIRM_MEMBER]
    response = _request(app, world, "accounts.revoke_token", "POST", "own", FIRM_MEMBER)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).is_revoked
    assert not db.session.get(ApiToken, world.outsider_token[0].id).is_revoked


def test_another_organisations_invitation_stays_pending(app, world):
    target = world.invitations[world.other_firm.id]
    response = _request(app, world, "accounts.revoke_invitation", "POST", "other", FIRM_OWNER)
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, target.id).status == InvitationStatus.PENDING


# --- every permission predicate for every role ----------------------------------------

PREDICATE_MODULES = (account_perms, voucher_perms) + tuple(
    module for rows in ROW_MODULES for module in rows.PREDICATE_MODULES)

# (predicate, object) -> the roles for which it holds. Objects: "firm" is the firm of
# firm_owner and firm_member, "agency" the agency of agency_owner, "other_firm" an
# organisation none of them belongs to; "own_token" the user's own API token,
# "other_token" somebody else's; "firm_application" / "firm_voucher" belong to "firm",
# "other_application" / "other_voucher" to "other_firm".
PREDICATE_TABLE = {
    # accounts
    ("is_firm_member", None):                     {FIRM_OWNER, FIRM_MEMBER},
    ("is_agency_member", None):                   {AGENCY_OWNER},
    ("is_organisation_member", None):             set(MEMBERS),
    ("is_organisation_owner", None):              set(OWNERS),
    ("is_auditor", None):                         {AUDITOR},
    ("is_supervisor", None):                      {SUPERVISOR},
    ("is_expert", None):                          {EXPERT},
    ("is_admin", None):                           {ADMIN},
    ("is_reviewer", None):                        {AUDITOR, SUPERVISOR},
    ("is_staff", None):                           set(STAFF),
    ("belongs_to_organisation", "firm"):          {FIRM_OWNER, FIRM_MEMBER},
    ("belongs_to_organisation", "agency"):        {AGENCY_OWNER},
    ("belongs_to_organisation", "other_firm"):    set(),
    ("can_view_organisation_private", "firm"):    {FIRM_OWNER, FIRM_MEMBER, AUDITOR,
                                                   SUPERVISOR, ADMIN},
    ("can_view_organisation_private", "agency"):  {AGENCY_OWNER, AUDITOR, SUPERVISOR, ADMIN},
    ("can_view_organisation_private", "other_firm"): {AUDITOR, SUPERVISOR, ADMIN},
    ("can_manage_members", "firm"):               {FIRM_OWNER},
    ("can_manage_members", "agency"):             {AGENCY_OWNER},
    ("can_manage_members", "other_firm"):         set(),
    ("can_edit_organisation", "firm"):            {FIRM_OWNER},
    ("can_edit_organisation", "agency"):          {AGENCY_OWNER},
    ("can_edit_organisation", "other_firm"):      set(),
    ("can_manage_users", None):                   {ADMIN},
    ("can_manage_districts", None):               {ADMIN},
    ("owns_api_token", "own_token"):              set(ROLES) - {VISITOR},
    ("owns_api_token", "other_token"):            set(),
    # vouchers
    ("can_manage_programmes", None):              {ADMIN},
    ("can_apply_for_voucher", None):              {FIRM_OWNER, FIRM_MEMBER},
    ("can_view_application", "firm_application"): {FIRM_OWNER, FIRM_MEMBER, AUDITOR,
                                                   SUPERVISOR, ADMIN},
    ("can_view_application", "other_application"): {AUDITOR, SUPERVISOR, ADMIN},
    ("can_view_application", None):               set(),
    ("can_change_application", "firm_application"): {FIRM_OWNER, FIRM_MEMBER},
    ("can_change_application", "other_application"): set(),
    ("can_decide_application", "firm_application"): {AUDITOR},
    ("can_decide_application", "other_application"): {AUDITOR},
    ("can_view_application_queue", None):         {AUDITOR, SUPERVISOR, ADMIN},
    ("can_list_applications", None):              {FIRM_OWNER, FIRM_MEMBER, AUDITOR,
                                                   SUPERVISOR, ADMIN},
    ("can_view_voucher", "firm_voucher"):         {FIRM_OWNER, FIRM_MEMBER, AUDITOR,
                                                   SUPERVISOR, ADMIN},
    ("can_view_voucher", "other_voucher"):        {AUDITOR, SUPERVISOR, ADMIN},
    ("can_view_voucher", None):                   set(),
    ("can_view_budget", None):                    set(STAFF),
}
for _rows in ROW_MODULES:
    PREDICATE_TABLE.update(_rows.PREDICATE_TABLE)


def _declared_predicates():
    """Every predicate defined (not merely imported) in the permission modules."""
    found = {}
    for module in PREDICATE_MODULES:
        for name, value in vars(module).items():
            if isinstance(value, Predicate) and value.__module__ == module.__name__:
                assert name not in found, f"two predicates named {name}"
                found[name] = value
    return found


def _predicate_object(world, role, name):
    if name is None:
        return None
    if name == "own_token":
        return world.tokens[role][0] if role in world.tokens else world.tokens[FIRM_OWNER][0]
    if name == "other_token":
        return world.outsider_token[0]
    for rows in ROW_MODULES:
        if name in rows.PREDICATE_OBJECTS:
            rows.build(world)
            return rows.PREDICATE_OBJECTS[name](world, role)
    kind, _, thing = name.partition("_")
    if thing in ("application", "voucher"):
        found = world.applications if thing == "application" else world.vouchers
        return found["firm" if kind == "firm" else "other_firm"]
    return getattr(world, name)


def test_every_permission_predicate_is_in_the_table():
    declared = set(_declared_predicates())
    tabled = {name for name, _obj in PREDICATE_TABLE}
    assert declared - tabled == set(), f"predicates without rows: {sorted(declared - tabled)}"
    assert tabled - declared == set(), f"rows for unknown predicates: {sorted(tabled - declared)}"


@pytest.mark.parametrize("name, obj_name, holders", [
    pytest.param(name, obj_name, holders,
                 id=f"{name}{'[' + obj_name + ']' if obj_name else ''}")
    for (name, obj_name), holders in PREDICATE_TABLE.items()])
def test_permission_predicate_for_every_role(world, name, obj_name, holders):
    predicate = _declared_predicates()[name]
    if obj_name and obj_name.endswith(("_application", "_voucher")):
        add_vouchers(world)
    wrong = []
    for role in ROLES:
        user = world.user(role) or AnonymousUserMixin()
        holds = predicate(user, _predicate_object(world, role, obj_name))
        if holds is not (role in holders):
            wrong.append(f"{name}({obj_name}) for {role}: {holds}, expected {role in holders}")
    assert not wrong, "\n".join(wrong)
