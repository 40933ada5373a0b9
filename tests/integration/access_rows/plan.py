"""Access-matrix rows of the bureau's plan: commissioners, the expert pool's growth and the
rewards for registration (see access_rows/__init__.py).

Objects, built lazily into ``world.extra`` under ``plan_*`` keys: agency_owner is a
recognised commissioner (``plan_commissioner``) paired with the world's firm
(``plan_firm_pairing``, with a logged service and its attachment) and with a village (a
logged service the bureau answers); another firm has asked for them (``plan_request``).
``plan_submitted`` is another person's application waiting for the bureau,
``plan_notice`` one on public notice with an open objection. ``plan_expert_application``
waits for an auditor; ``plan_expert_assessment`` is the world's expert's proposed
assessment. ``plan_reward_list`` is last year's list, computed by the world's auditor and
approved by its supervisor, whose seller line (``plan_line``) is agency_owner's agency's.

Empty forms are posted (422 past the rule); the API's application and service are valid
bodies, so their rows say who may really apply or log.
"""
import io
from datetime import date

from marketplace.commissioners import activity, services
from marketplace.commissioners import permissions as commissioner_perms
from marketplace.commissioners.models import CommissionerAssessment
from marketplace.core import outbox
from marketplace.core.assessments import Grade
from marketplace.experts import permissions as expert_perms
from marketplace.experts import services as expert_services
from marketplace.experts.models import ExpertAssessment
from marketplace.extensions import db
from marketplace.incentives import permissions as reward_perms
from marketplace.incentives import services as rewards
from marketplace.incentives.models import RewardRole
from marketplace.orders.models import ContractType
from marketplace.turnover.models import RegistrationSource
from marketplace.turnover.registry import registration
from tests.integration.access_rows.claims import _expert_profile
from tests.integration.commissioners.builders import application_fields, applied, log
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR, EXPERT,
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_ONLY, FIRM_OWNER, LOGIN,
                                  MEMBERS, MISSING_ID, NO_TOKEN, OTHERS, REVIEWERS, ROLES,
                                  SUPERVISOR, VISITOR, by_object)

BUREAU = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}
BUREAU_MISSING = {VISITOR: LOGIN, REVIEWERS: 404, ADMIN: 404, OTHERS: 403}
PEOPLE = {VISITOR: LOGIN, MEMBERS: 200, EXPERT: 200, OTHERS: 403}
AUDITOR_FORM = {VISITOR: LOGIN, AUDITOR: 422, OTHERS: 403}
AUDITOR_MISSING = {VISITOR: LOGIN, AUDITOR: 404, OTHERS: 403}
SUPERVISOR_FORM = {VISITOR: LOGIN, SUPERVISOR: 422, OTHERS: 403}
SUPERVISOR_MISSING = {VISITOR: LOGIN, SUPERVISOR: 404, OTHERS: 403}
SIGNED_IN_404 = {VISITOR: LOGIN, OTHERS: 404}
YEAR = date.today().year - 1

EXPECTED = {
    # commissioners: the public directory and pages
    ("commissioners.directory", "GET"):         {OTHERS: 200},
    ("commissioners.profile", "GET"): by_object(
        recognised=                             {OTHERS: 200},
        notice=                                 {OTHERS: 200},
        submitted=                              {REVIEWERS: 200, ADMIN: 200, OTHERS: 404},
        missing=                                {OTHERS: 404}),
    ("commissioners.file_objection", "POST"): by_object(
        notice=                                 {VISITOR: LOGIN, OTHERS: 422},
        recognised=                             {VISITOR: LOGIN, OTHERS: 403},
        missing=                                SIGNED_IN_404),
    ("commissioners.request_pairing", "POST"): by_object(
        recognised=                             {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 OTHERS: 403},
        missing=                                SIGNED_IN_404),
    # the applicant and the commissioner (agency_owner is one, recognised)
    ("commissioners.apply", "GET"):             PEOPLE,
    ("commissioners.apply", "POST"):            {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 EXPERT: 422, AGENCY_OWNER: 409, OTHERS: 403},
    ("commissioners.mine", "GET"):              PEOPLE,
    ("commissioners.log_service", "POST"):      {VISITOR: LOGIN, AGENCY_OWNER: 422,
                                                 OTHERS: 403},
    ("commissioners.answer_pairing", "POST"): by_object(   # an empty answer: flash, back
        request=                                {VISITOR: LOGIN, AGENCY_OWNER: 302,
                                                 FIRM_MEMBERS: 404, EXPERT: 404, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, MEMBERS: 404, EXPERT: 404,
                                                 OTHERS: 403}),
    ("commissioners.end_pairing", "POST"): by_object(
        firm=                                   {VISITOR: LOGIN, FIRM_MEMBERS: 302,
                                                 AGENCY_OWNER: 302, AUDITOR: 302,
                                                 OTHERS: 404},
        missing=                                SIGNED_IN_404),
    # the firm answers its services; the bureau those of a village or park
    ("commissioners.firm_page", "GET"):         FIRM_ONLY,
    ("commissioners.answer_service", "POST"): by_object(
        firm=                                   {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 EXPERT: 404, OTHERS: 403},
        village=                                {VISITOR: LOGIN, AUDITOR: 302,
                                                 AGENCY_OWNER: 403, SUPERVISOR: 403,
                                                 ADMIN: 403, OTHERS: 404},
        missing=                                SIGNED_IN_404),
    ("commissioners.attachment", "GET"): by_object(
        firm=                                   {VISITOR: LOGIN, EXPERT: 404, OTHERS: 200},
        missing=                                SIGNED_IN_404),
    # the bureau
    ("commissioner_review.queue", "GET"):       BUREAU,
    ("commissioner_review.review", "GET"): by_object(
        submitted=                              BUREAU,
        notice=                                 BUREAU,
        recognised=                             BUREAU,
        missing=                                BUREAU_MISSING),
    ("commissioner_review.decide", "POST"): by_object(
        submitted=                              AUDITOR_FORM,
        missing=                                AUDITOR_MISSING),
    ("commissioner_review.conclude", "POST"): by_object(   # still running: flash, back
        notice=                                 {VISITOR: LOGIN, AUDITOR: 302, OTHERS: 403},
        missing=                                AUDITOR_MISSING),
    ("commissioner_review.resolve", "POST"): by_object(
        open=                                   AUDITOR_FORM,
        missing=                                AUDITOR_MISSING),
    ("commissioner_review.pair", "POST"): by_object(
        recognised=                             AUDITOR_FORM,
        missing=                                AUDITOR_MISSING),
    ("commissioner_review.withdraw", "POST"): by_object(
        recognised=                             AUDITOR_FORM,
        missing=                                AUDITOR_MISSING),
    ("commissioner_review.monitoring_page", "GET"): BUREAU,
    ("commissioner_review.assessments", "GET"): BUREAU,
    ("commissioner_review.compute_assessments", "POST"): AUDITOR_FORM,
    ("commissioner_review.confirm_assessment", "POST"): by_object(
        proposed=                               SUPERVISOR_FORM,
        missing=                                SUPERVISOR_MISSING),
    ("commissioner_review.rules_page", "GET"):  ADMIN_ONLY,
    ("commissioner_review.rules_page", "POST"): {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
    # the expert pool's growth
    ("experts.apply", "GET"):                   {REVIEWERS: 403, ADMIN: 403, OTHERS: 200},
    ("experts.apply", "POST"):                  {REVIEWERS: 403, ADMIN: 403, OTHERS: 422},
    ("experts.applications", "GET"):            BUREAU,
    ("experts.application", "GET"): by_object(
        existing=                               BUREAU,
        missing=                                BUREAU_MISSING),
    ("experts.decide", "POST"): by_object(
        existing=                               AUDITOR_FORM,
        missing=                                AUDITOR_MISSING),
    ("experts.settings", "GET"):                ADMIN_ONLY,
    ("experts.settings", "POST"):               {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
    ("experts.assessments", "GET"):             BUREAU,
    ("experts.compute_assessments", "POST"):    AUDITOR_FORM,
    ("experts.confirm_assessment", "POST"): by_object(
        existing=                               SUPERVISOR_FORM,
        missing=                                SUPERVISOR_MISSING),
    # the rewards for registration
    ("incentives.reward_list", "GET"):          BUREAU,
    ("incentives.compute", "POST"):             AUDITOR_FORM,
    ("incentives.approve", "POST"): by_object(
        existing=                               SUPERVISOR_FORM,
        missing=                                SUPERVISOR_MISSING),
    ("incentives.record_paid", "POST"): by_object(
        existing=                               SUPERVISOR_FORM,
        missing=                                SUPERVISOR_MISSING),
    ("incentives.export", "GET"): by_object(
        existing=                               BUREAU,
        missing=                                BUREAU_MISSING),
    ("incentives.line", "GET"): by_object(
        own=                                    {VISITOR: LOGIN, AGENCY_OWNER: 200,
                                                 REVIEWERS: 200, ADMIN: 200,
                                                 FIRM_MEMBERS: 404, EXPERT: 403},
        missing=                                {VISITOR: LOGIN, EXPERT: 403, OTHERS: 404}),
    ("incentives.mine", "GET"):                 {VISITOR: LOGIN, MEMBERS: 200, OTHERS: 403},
    ("incentives.rules_page", "GET"):           ADMIN_ONLY,
    ("incentives.rules_page", "POST"):          {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
    # the JSON API
    ("api.list_commissioners", "GET"):          {OTHERS: 200},
    ("api.apply_as_commissioner", "POST"):      {**NO_TOKEN, FIRM_MEMBERS: 201, EXPERT: 201,
                                                 AGENCY_OWNER: 409, OTHERS: 403},
    ("api.log_commissioner_service", "POST"): by_object(
        recognised=                             {**NO_TOKEN, AGENCY_OWNER: 201,
                                                 OTHERS: 403},
        missing=                                {**NO_TOKEN, MEMBERS: 404, EXPERT: 404,
                                                 OTHERS: 403}),
    ("api.expert_pool_share", "GET"):           {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200,
                                                 OTHERS: 403},
    ("api.reward_list", "GET"): by_object(
        existing=                               {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200,
                                                 OTHERS: 403},
        missing=                                {**NO_TOKEN, REVIEWERS: 404, ADMIN: 404,
                                                 OTHERS: 403}),
}


def _quiet():
    db.session.commit()
    outbox._committed_ids.set(None)    # their notifications are not what is tested here


def _lazy(key, make):
    def get(world, role=None):
        name = f"plan_{key}"
        if name not in world.extra:
            world.extra[name] = make(world)
        return world.extra[name]
    return get


def _make_commissioner(world):
    """agency_owner, recognised, paired with the world's firm and a village, each with a
    logged service; another firm has asked for them."""
    auditor = world.users[AUDITOR]
    commissioner = services.decide(applied(world.users[AGENCY_OWNER]), auditor, "approve")
    services.conclude_notice(commissioner, auditor, at=commissioner.notice_ends_dt)
    firm = activity.request_pairing(commissioner, world.users[FIRM_OWNER], "请指导")
    activity.answer_pairing(firm, commissioner.user, accept=True)
    village = activity.pair(commissioner, auditor, kind="village", place_name="光明村")
    world.extra["plan_firm_pairing"] = firm
    world.extra["plan_request"] = activity.request_pairing(commissioner, world.outsider,
                                                           "也请指导我们")
    world.extra["plan_firm_service"] = log(commissioner, firm, date.today(),
                                           files=[(io.BytesIO(b"%PDF-1.4 x"), "纪要.pdf")])
    world.extra["plan_village_service"] = log(commissioner, village, date.today())
    world.extra["plan_assessment"] = CommissionerAssessment(
        commissioner_id=commissioner.id, year=YEAR, grade=Grade.COMPETENT, logged=12,
        confirmed=12, disputed=0, served=3, reasons='["meets_minimum"]')
    db.session.add(world.extra["plan_assessment"])
    _quiet()
    return commissioner


def _make_notice(world):
    commissioner = services.decide(applied(), world.users[AUDITOR], "approve")
    world.extra["plan_objection"] = services.file_objection(
        commissioner, world.outsider, "此人并非该单位在职人员。")
    _quiet()
    return commissioner


def _make_submitted(world):
    commissioner = applied()
    _quiet()
    return commissioner


def _make_expert_application(world):
    application = expert_services.apply(
        email="wang.wu@whut.example.cn", name="王五", title="研究员",
        organisation_name="武汉理工大学", province="42",
        category_ids=[c.id for c in _expert_profile(world).fields])
    _quiet()
    return application


def _make_expert_assessment(world):
    row = ExpertAssessment(expert_id=_expert_profile(world).user_id, year=YEAR,
                           grade=Grade.COMPETENT, invitations=2, answered_in_time=2,
                           no_shows=0, scored=2, late_conflicts=0)
    db.session.add(row)
    _quiet()
    return row


def _make_reward_list(world):
    seller, buyer = world.agency, world.firm
    registration.register_original(
        contract_number="PLAN-0001", contract_type=ContractType.SERVICE,
        contract_amount_fen=500_000_00, technical_amount_fen=400_000_00,
        buyer_name=buyer.name, buyer_org_id=buyer.id, seller_name=seller.name,
        seller_org_id=seller.id, seller_district_id=seller.district_id,
        seller_in_city=True, field_code="new_materials", signed_on=date(YEAR, 5, 1),
        registered_on=date(YEAR, 5, 10), source=RegistrationSource.IMPORT)
    reward_list = rewards.compute_list(YEAR, world.users[AUDITOR])
    rewards.approve(reward_list, world.users[SUPERVISOR])
    world.extra["plan_line"] = next(
        line for line in db.session.execute(rewards.lines_query(reward_list.id)).scalars()
        if line.role == RewardRole.SELLER)
    _quiet()
    return reward_list


commissioner = _lazy("commissioner", _make_commissioner)
notice = _lazy("notice", _make_notice)
submitted = _lazy("submitted", _make_submitted)
expert_application = _lazy("expert_application", _make_expert_application)
expert_assessment = _lazy("expert_assessment", _make_expert_assessment)
reward_list = _lazy("reward_list", _make_reward_list)


def _after(make, key):
    def get(world, role=None):
        make(world)
        return world.extra[f"plan_{key}"]
    return get


firm_pairing = _after(commissioner, "firm_pairing")
request = _after(commissioner, "request")
firm_service = _after(commissioner, "firm_service")
village_service = _after(commissioner, "village_service")
assessment = _after(commissioner, "assessment")
objection = _after(notice, "objection")
line = _after(reward_list, "line")


def _missing_or(name, make):
    return lambda w, r, v: {name: MISSING_ID if v == "missing" else make(w).id}


def _commissioner_id(world, role, variant):
    found = {"recognised": commissioner, "submitted": submitted, "notice": notice}
    return {"commissioner_id": MISSING_ID if variant == "missing"
            else found[variant](world).id}


def _service_id(world, role, variant):
    if variant == "missing":
        return {"service_id": MISSING_ID}
    return {"service_id": (firm_service if variant == "firm" else village_service)(world).id}


def _attachment(world, role, variant):
    service = firm_service(world)
    return {"service_id": service.id,
            "attachment_id": MISSING_ID if variant == "missing" else service.attachments[0].id}


URL_VALUES = {
    "commissioners.profile": _commissioner_id,
    "commissioners.file_objection": _commissioner_id,
    "commissioners.request_pairing": _commissioner_id,
    "commissioners.answer_pairing": _missing_or("pairing_id", request),
    "commissioners.end_pairing": _missing_or("pairing_id", firm_pairing),
    "commissioners.answer_service": _service_id,
    "commissioners.attachment": _attachment,
    "commissioner_review.review": _commissioner_id,
    "commissioner_review.decide": _commissioner_id,
    "commissioner_review.conclude": _commissioner_id,
    "commissioner_review.pair": _commissioner_id,
    "commissioner_review.withdraw": _commissioner_id,
    "commissioner_review.resolve": _missing_or("objection_id", objection),
    "commissioner_review.confirm_assessment": _missing_or("assessment_id", assessment),
    "experts.application": _missing_or("application_id", expert_application),
    "experts.decide": _missing_or("application_id", expert_application),
    "experts.confirm_assessment": _missing_or("assessment_id", expert_assessment),
    "incentives.approve": _missing_or("list_id", reward_list),
    "incentives.record_paid": _missing_or("list_id", reward_list),
    "incentives.export": _missing_or("list_id", reward_list),
    "incentives.line": _missing_or("line_id", line),
    "api.log_commissioner_service": _commissioner_id,
    "api.reward_list": lambda w, r, v: {"year": 2001 if v == "missing"
                                        else reward_list(w).year},
}


def _service_body(world, role):
    return {"pairing_id": firm_pairing(world).id, "service_on": date.today().isoformat(),
            "place": "企业车间", "participants": "技术部三人", "work_done": "诊断热处理裂纹",
            "outcome": "调整回火温度"}


def _application_body(world, role):
    commissioner(world)    # agency_owner is one already: refused (409)
    return application_fields(district_id=world.district.id)


BODIES = {
    "api.apply_as_commissioner": _application_body,
    "api.log_commissioner_service": _service_body,
}
PREDICATE_MODULES = (commissioner_perms, expert_perms, reward_perms)
BUREAU_ROLES = {AUDITOR, SUPERVISOR, ADMIN}
PREDICATE_TABLE = {
    # commissioners
    ("can_apply_as_commissioner", None):          {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER,
                                                   EXPERT},
    ("is_the_commissioner", "plan_commissioner"): {AGENCY_OWNER},
    ("can_view_commissioner_queue", None):        BUREAU_ROLES,
    ("can_view_commissioner", "plan_commissioner"): set(ROLES),
    ("can_view_commissioner", "plan_submitted"):  BUREAU_ROLES,
    ("can_review_commissioners", None):           {AUDITOR},
    ("can_file_commissioner_objection", "plan_notice"): set(ROLES) - {VISITOR},
    ("can_file_commissioner_objection", "plan_commissioner"): set(),
    ("can_request_pairing", "plan_commissioner"): {FIRM_OWNER, FIRM_MEMBER},
    ("can_request_pairing", "plan_submitted"):    set(),
    ("can_work_as_commissioner", None):           {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER,
                                                   EXPERT},
    ("can_log_service", "plan_commissioner"):     {AGENCY_OWNER},
    ("can_answer_pairing", "plan_request"):       {AGENCY_OWNER},
    ("can_end_pairing", "plan_firm_pairing"):     {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER,
                                                   AUDITOR},
    ("can_view_firm_commissioners", None):        {FIRM_OWNER, FIRM_MEMBER},
    ("can_answer_service", "plan_firm_service"):  {FIRM_OWNER, FIRM_MEMBER},
    ("can_answer_service", "plan_village_service"): {AUDITOR},
    ("can_view_service", "plan_firm_service"):    {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER}
    | BUREAU_ROLES,
    ("can_view_service", "plan_village_service"): {AGENCY_OWNER} | BUREAU_ROLES,
    ("can_compute_commissioner_assessments", None): {AUDITOR},
    ("can_confirm_commissioner_assessment", None): {SUPERVISOR},
    ("can_set_commissioner_rules", None):         {ADMIN},
    # the expert pool's growth
    ("can_apply_to_expert_pool", None):           set(ROLES) - BUREAU_ROLES,
    ("can_view_expert_applications", None):       BUREAU_ROLES,
    ("can_decide_expert_applications", None):     {AUDITOR},
    ("can_view_pool_share", None):                BUREAU_ROLES,
    ("can_set_pool_target", None):                {ADMIN},
    ("can_compute_expert_assessments", None):     {AUDITOR},
    ("can_confirm_expert_assessment", None):      {SUPERVISOR},
    # the rewards
    ("can_view_rewards", None):                   BUREAU_ROLES,
    ("can_compute_rewards", None):                {AUDITOR},
    ("can_approve_rewards", None):                {SUPERVISOR},
    ("can_approve_rewards", "plan_reward_list"):  {SUPERVISOR},
    ("can_record_rewards_paid", None):            {SUPERVISOR},
    ("can_view_own_rewards", None):               {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER},
    ("can_view_reward_line", "plan_line"):        {AGENCY_OWNER} | BUREAU_ROLES,
    ("can_set_reward_rules", None):               {ADMIN},
}
PREDICATE_OBJECTS = {
    "plan_commissioner": commissioner,
    "plan_submitted": submitted,
    "plan_notice": notice,
    "plan_request": request,
    "plan_firm_pairing": firm_pairing,
    "plan_firm_service": firm_service,
    "plan_village_service": village_service,
    "plan_reward_list": reward_list,
    "plan_line": line,
}


# pages whose answer depends on agency_owner being a commissioner, without an object in
# their URL
NEEDS_THE_COMMISSIONER = {"commissioners.apply", "commissioners.mine",
                          "commissioners.log_service", "commissioners.firm_page"}


def needs(app, endpoint):
    return endpoint in NEEDS_THE_COMMISSIONER   # the rest is built when a URL names it


def build(world):
    commissioner(world)
