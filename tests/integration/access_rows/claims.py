"""Access-matrix rows of redemption claims and disbursement (see access_rows/__init__.py).

Objects, built lazily into ``world.extra`` under ``claims_*`` keys (a claim costs a whole
order, so only the tests that name one build it): the ``firm`` claim is firm_owner's
firm's, paying agency_owner's agency; the ``other_firm`` claim is another firm's with
another agency; both wait at first review for the world's auditor. ``claims_final``
waits at final approval after the world's auditor's first review, ``claims_four_eyes``
after the world's supervisor's (as if they had reviewed it first). ``claims_batch`` is an
open disbursement batch of one approved claim. ``claims_invited`` is another firm's large
claim at expert review whose panel is the world's expert (invited, not yet answered);
``claims_invitation`` is that invitation. The expert-pool pages use the world's expert's
profile (field: testing) and ``claims_expert_conflict``, its tie to a new firm.

Empty forms are posted: the decision, batch and paid forms carry a one-time token, so
those who pass the access rule get 400 without it; the API's money steps likewise need
an ``Idempotency-Key`` header (400 without it).
"""
import itertools

from sqlalchemy import select

from marketplace.agencies.models import ServiceCategory
from marketplace.claims import disbursement, experts, services
from marketplace.claims.expert_models import ExpertConflict, ExpertProfile
from marketplace.claims import permissions as claim_perms
from marketplace.core import outbox
from marketplace.extensions import db
from tests.factories import FirmFactory, make_agency_profile, make_offering
from tests.integration.claims.builders import checked
from tests.integration.claims.test_claim_workflow import accepted_claim
from tests.support.access import (ADMIN, ADMIN_ONLY, AGENCY_OWNER, AUDITOR, EXPERT,  # noqa: F401
                                  FIRM_MEMBER, FIRM_MEMBERS, FIRM_OWNER, LOGIN, MEMBERS,
                                  MISSING_ID, NO_TOKEN, OTHERS, REVIEWERS, ROLES, STAFF,
                                  SUPERVISOR, VISITOR, by_object)

PARTIES_AND_BUREAU = {VISITOR: LOGIN, MEMBERS: 200, REVIEWERS: 200, ADMIN: 200, EXPERT: 403}
SUPERVISOR_ONLY = {VISITOR: LOGIN, SUPERVISOR: 200, OTHERS: 403}
# a claim page: the two parties, the reviewers, the admin and the experts drawn for it
# (404 for the claims an expert is not drawn for)
FIRMS_CLAIM = {VISITOR: LOGIN, FIRM_MEMBERS: 200, AGENCY_OWNER: 200, REVIEWERS: 200,
               ADMIN: 200, EXPERT: 404}
OTHER_FIRMS_CLAIM = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, EXPERT: 404, OTHERS: 404}
INVITED_CLAIM = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, EXPERT: 200, OTHERS: 404}
MISSING_CLAIM = {VISITOR: LOGIN, OTHERS: 404}
# the pages that resubmit refuse experts before looking at the claim
MISSING_CLAIM_PARTIES = {VISITOR: LOGIN, EXPERT: 403, OTHERS: 404}
EXPERT_ONLY = {VISITOR: LOGIN, EXPERT: 200, OTHERS: 403}
# the admin keeps the pool; reviewers read it (auditors admit experts to it)
POOL_READERS = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}
POOL_FORM = {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403}
POOL_MISSING = {VISITOR: LOGIN, ADMIN: 404, OTHERS: 403}

EXPECTED = {
    ("claims.claims_list", "GET"):              PARTIES_AND_BUREAU,
    ("claims.overdue", "GET"):                  {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200,
                                                 OTHERS: 403},
    ("claims.claim", "GET"): by_object(
        firm=                                   FIRMS_CLAIM,
        other_firm=                             OTHER_FIRMS_CLAIM,
        invited=                                INVITED_CLAIM,
        missing=                                MISSING_CLAIM),
    ("claims.decide", "POST"): by_object(       # no one-time token: 400 past the rule
        firm=                                   {VISITOR: LOGIN, REVIEWERS: 400, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, REVIEWERS: 400, OTHERS: 403}),
    ("claims.resubmit", "POST"): by_object(     # the firm's empty note: 422
        firm=                                   {VISITOR: LOGIN, FIRM_MEMBERS: 422,
                                                 EXPERT: 403, OTHERS: 403},
        other_firm=                             {VISITOR: LOGIN, REVIEWERS: 403, ADMIN: 403,
                                                 EXPERT: 403, OTHERS: 404},
        missing=                                MISSING_CLAIM_PARTIES),
    ("claims.reassign", "POST"): by_object(     # no auditor chosen: 422
        firm=                                   {VISITOR: LOGIN, SUPERVISOR: 422, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 404, OTHERS: 403}),
    ("claims.expert_invitations", "GET"):       EXPERT_ONLY,
    ("claims.answer_invitation", "POST"): by_object(    # no answer chosen: 422
        own=                                    {VISITOR: LOGIN, EXPERT: 422, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, EXPERT: 404, OTHERS: 403}),
    ("claims.score_invitation", "POST"): by_object(     # not accepted yet: 409
        own=                                    {VISITOR: LOGIN, EXPERT: 409, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, EXPERT: 404, OTHERS: 403}),
    ("claims.disbursements", "GET"):            SUPERVISOR_ONLY,
    ("claims.create_batch", "POST"):            {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403},
    ("claims.batch", "GET"): by_object(
        existing=                               SUPERVISOR_ONLY,
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 404, OTHERS: 403}),
    ("claims.export_batch", "GET"): by_object(
        csv=                                    SUPERVISOR_ONLY,
        xlsx=                                   SUPERVISOR_ONLY,
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 404, OTHERS: 403}),
    ("claims.mark_paid", "POST"): by_object(
        existing=                               {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403}),
    ("claims.export_bank_file", "GET"): by_object(
        csv=                                    SUPERVISOR_ONLY,
        xlsx=                                   SUPERVISOR_ONLY,
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 404, OTHERS: 403}),
    ("claims.import_bank_result", "POST"): by_object(   # no one-time token: 400
        existing=                               {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403}),
    ("claims.override", "POST"): by_object(     # no one-time token: 400 past the rule
        firm=                                   {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403},
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403}),
    ("claims.recoveries", "GET"):               SUPERVISOR_ONLY,
    ("claims.record_repayment", "POST"): by_object(
        missing=                                {VISITOR: LOGIN, SUPERVISOR: 400, OTHERS: 403}),
    # the expert pool: the admin keeps it, reviewers read it (empty forms: 422)
    ("experts.expert_pool_list", "GET"):         POOL_READERS,
    ("experts.expert_pool_expert", "GET"): by_object(
        existing=                               POOL_READERS,
        missing=                                {VISITOR: LOGIN, REVIEWERS: 404, ADMIN: 404,
                                                 OTHERS: 403}),
    ("experts.expert_pool_new", "GET"):          ADMIN_ONLY,
    ("experts.expert_pool_new", "POST"):         {VISITOR: LOGIN, ADMIN: 422, OTHERS: 403},
    ("experts.expert_pool_edit", "GET"): by_object(
        existing=                               ADMIN_ONLY,
        missing=                                POOL_MISSING),
    ("experts.expert_pool_edit", "POST"): by_object(
        existing=                               POOL_FORM,
        missing=                                POOL_MISSING),
    ("experts.expert_pool_add_conflict", "POST"): by_object(
        existing=                               POOL_FORM,
        missing=                                POOL_MISSING),
    ("experts.expert_pool_remove_conflict", "POST"): by_object(
        existing=                               {VISITOR: LOGIN, ADMIN: 302, OTHERS: 403},
        missing=                                POOL_MISSING),
    ("experts.expert_pool_suspend", "POST"): by_object(
        existing=                               POOL_FORM,
        missing=                                POOL_MISSING),
    ("experts.expert_pool_reinstate", "POST"): by_object(
        existing=                               POOL_FORM,
        missing=                                POOL_MISSING),
    # the JSON API
    ("api.list_claims", "GET"):                 {**NO_TOKEN, MEMBERS: 200, REVIEWERS: 200,
                                                 ADMIN: 200, EXPERT: 403},
    ("api.get_claim", "GET"): by_object(
        firm=                                   {**FIRMS_CLAIM, **NO_TOKEN},
        other_firm=                             {**OTHER_FIRMS_CLAIM, **NO_TOKEN},
        invited=                                {**INVITED_CLAIM, **NO_TOKEN},
        missing=                                {**MISSING_CLAIM, **NO_TOKEN}),
    ("api.decide_claim", "POST"): by_object(    # no Idempotency-Key: 400 past the rule
        firm=                                   {**NO_TOKEN, REVIEWERS: 400, EXPERT: 400,
                                                 OTHERS: 403}),
    ("api.create_disbursement", "POST"):        {**NO_TOKEN, SUPERVISOR: 400, OTHERS: 403},
    ("api.override_claim", "POST"): by_object(  # no Idempotency-Key: 400 past the rule
        firm=                                   {**NO_TOKEN, SUPERVISOR: 400, OTHERS: 403}),
    ("api.mark_disbursement_paid", "POST"): by_object(
        existing=                               {**NO_TOKEN, SUPERVISOR: 400, OTHERS: 403}),
    # an answer naming no row of the batch: refused whole (422), nothing applied
    ("api.import_bank_result", "POST"): by_object(
        existing=                               {**NO_TOKEN, SUPERVISOR: 422, OTHERS: 403},
        missing=                                {**NO_TOKEN, SUPERVISOR: 404, OTHERS: 403}),
}

_invoices = itertools.count(1)


def _quiet():
    db.session.commit()
    # the notifications these steps queue are not what is tested here (see add_vouchers)
    outbox._committed_ids.set(None)


def _new_claim(world, firm_member, offering=None):
    claim = checked(accepted_claim(firm_member, offering=offering,
                                   invoice=f"AR-{next(_invoices):05d}"))
    claim.assigned_auditor_id = world.users[AUDITOR].id
    _quiet()
    return claim


def _lazy(key, make):
    def get(world, role=None):
        name = f"claims_{key}"
        if name not in world.extra:
            world.extra[name] = make(world)
        return world.extra[name]
    return get


def _make_firm_claim(world):
    owner = world.users[AGENCY_OWNER]
    profile = make_agency_profile(owner, auditor=world.users[AUDITOR])
    return _new_claim(world, world.users[FIRM_OWNER], offering=make_offering(profile))


def _make_final(world, reviewer_role):
    claim = _new_claim(world, world.outsider)
    services.decide(claim, world.users[AUDITOR], "approve", "材料齐全")
    claim.first_reviewer_id = world.users[reviewer_role].id
    _quiet()
    return claim


def _make_batch(world):
    claim = _make_final(world, AUDITOR)
    services.decide(claim, world.users[SUPERVISOR], "approve")
    batch = disbursement.create_batch(world.users[SUPERVISOR], [claim.id])
    _quiet()
    return batch


def _expert_profile(world, role=None):
    """The world's expert in the pool (field: testing)."""
    expert = world.users[EXPERT]
    profile = db.session.get(ExpertProfile, expert.id)
    if profile is None:
        testing = db.session.execute(select(ServiceCategory).where(
            ServiceCategory.code == "testing")).scalar_one()
        profile = ExpertProfile(user_id=expert.id, title="教授", fields=[testing])
        db.session.add(profile)
        db.session.flush()
    return profile


def _make_conflict(world):
    """A tie of the world's expert to an organisation of its own (no party's)."""
    conflict = ExpertConflict(expert_id=_expert_profile(world).user_id,
                              organisation_id=FirmFactory().id, note="曾任职")
    db.session.add(conflict)
    _quiet()
    return conflict


def _make_invited(world):
    """Another firm's large claim whose panel is the world's expert alone."""
    _expert_profile(world)
    claim = checked(accepted_claim(world.outsider, amount_fen=200_000_00,
                                   invoice=f"AR-{next(_invoices):05d}"))
    claim.assigned_auditor_id = world.users[AUDITOR].id
    services.decide(claim, world.users[AUDITOR], "approve")
    _quiet()
    return claim


firm_claim = _lazy("firm", _make_firm_claim)
invited_claim = _lazy("invited", _make_invited)


def invitation(world, role=None):
    claim = invited_claim(world)
    return next(i for i in experts.invitations_of(claim)
                if i.expert_id == world.users[EXPERT].id)

other_claim = _lazy("other_firm", lambda w: _new_claim(w, w.outsider))
final_claim = _lazy("final", lambda w: _make_final(w, AUDITOR))
four_eyes_claim = _lazy("four_eyes", lambda w: _make_final(w, SUPERVISOR))
open_batch = _lazy("batch", _make_batch)


def _make_blocked(world):
    """Another firm's claim at first review, blocked: the firm and the agency share a
    bank account."""
    from tests.support.identity import change_facts

    offering = make_offering()
    change_facts(world.outsider.organisation,
                 bank_account=offering.agency.organisation.current_version.bank_account)
    return _new_claim(world, world.outsider, offering=offering)


blocked_claim = _lazy("blocked", _make_blocked)
expert_conflict = _lazy("expert_conflict", _make_conflict)


def _claim_id(world, role, variant):
    if variant == "missing":
        return {"claim_id": MISSING_ID}
    if variant == "invited":
        return {"claim_id": invited_claim(world).id}
    return {"claim_id": (firm_claim if variant == "firm" else other_claim)(world).id}


def _recovery_id(world, role, variant):
    return {"recovery_id": MISSING_ID}


def _batch_id(world, role, variant):
    return {"batch_id": MISSING_ID if variant == "missing" else open_batch(world).id}


def _invitation_id(world, role, variant):
    return {"invitation_id": MISSING_ID if variant == "missing" else invitation(world).id}


def _export(world, role, variant):
    return {**_batch_id(world, role, variant),
            "file_format": "csv" if variant == "missing" else variant}


def _expert_id(world, role, variant):
    if variant == "missing":
        return {"user_id": MISSING_ID}
    user_id = _expert_profile(world).user_id
    _quiet()
    return {"user_id": user_id}


def _conflict_id(world, role, variant):
    if variant == "missing":
        return {"user_id": _expert_id(world, role, "existing")["user_id"],
                "conflict_id": MISSING_ID}
    conflict = expert_conflict(world)
    return {"user_id": conflict.expert_id, "conflict_id": conflict.id}


URL_VALUES = {
    "experts.expert_pool_expert": _expert_id,
    "experts.expert_pool_edit": _expert_id,
    "experts.expert_pool_add_conflict": _expert_id,
    "experts.expert_pool_suspend": _expert_id,
    "experts.expert_pool_reinstate": _expert_id,
    "experts.expert_pool_remove_conflict": _conflict_id,
    "claims.claim": _claim_id,
    "claims.decide": _claim_id,
    "claims.resubmit": _claim_id,
    "claims.reassign": _claim_id,
    "claims.batch": _batch_id,
    "claims.answer_invitation": _invitation_id,
    "claims.score_invitation": _invitation_id,
    "claims.export_batch": _export,
    "claims.mark_paid": _batch_id,
    "claims.export_bank_file": _export,
    "claims.import_bank_result": _batch_id,
    "api.import_bank_result": _batch_id,
    "claims.override": _claim_id,
    "claims.record_repayment": _recovery_id,
    "api.override_claim": _claim_id,
    "api.get_claim": _claim_id,
    "api.decide_claim": _claim_id,
    "api.mark_disbursement_paid": _batch_id,
}
BODIES = {
    "api.decide_claim": lambda w, r: {"decision": "return", "comment": "请补充验收报告"},
    "api.create_disbursement": lambda w, r: {"claim_ids": [MISSING_ID]},
    "api.override_claim": lambda w, r: {"reason": "证据显示双方已无关联，准予继续"},
    "api.mark_disbursement_paid": lambda w, r: {"treasury_reference": "国库 2026-0001"},
    "api.import_bank_result": lambda w, r: {"lines": [
        {"reference": "B0-A0", "status": "paid", "bank_reference": "ICBC-1"}]},
}


def needs(app, endpoint):
    return False    # every object is built when a URL or a predicate names it


def build(world):
    pass    # the objects are built lazily (a claim costs a whole order): see _lazy


PREDICATE_MODULES = (claim_perms,)
PARTIES = {FIRM_OWNER, FIRM_MEMBER, AGENCY_OWNER}
BUREAU = {AUDITOR, SUPERVISOR, ADMIN}
PREDICATE_TABLE = {
    ("is_claimant_of", "claims_firm"):             {FIRM_OWNER, FIRM_MEMBER},
    ("is_claimant_of", "claims_other_firm"):       set(),
    ("is_claimant_of", None):                      set(),
    ("is_payee_of", "claims_firm"):                {AGENCY_OWNER},
    ("is_payee_of", "claims_other_firm"):          set(),
    ("is_payee_of", None):                         set(),
    ("can_view_claim", "claims_firm"):             PARTIES | BUREAU,
    ("can_view_claim", "claims_other_firm"):       BUREAU,
    ("can_view_claim", "claims_invited"):          BUREAU | {EXPERT},
    ("can_view_claim", None):                      set(),
    ("is_invited_expert_of", "claims_invited"):    {EXPERT},
    ("is_invited_expert_of", "claims_firm"):       set(),
    ("is_invited_expert_of", None):                set(),
    ("can_open_claims", None):                     PARTIES | BUREAU | {EXPERT},
    ("can_answer_invitation", "claims_invitation"): {EXPERT},
    ("can_answer_invitation", None):               set(),
    ("can_score_claim", "claims_invited"):         set(),     # invited, not yet accepted
    ("can_score_claim", None):                     set(),
    ("can_view_panel", None):                      BUREAU,
    ("can_view_check_evidence", None):             BUREAU,
    ("can_list_claims", None):                     PARTIES | BUREAU,
    ("can_review_claims", None):                   {AUDITOR, SUPERVISOR},
    ("can_decide_claim", None):                    {AUDITOR, SUPERVISOR},
    ("can_decide_claim", "claims_firm"):           {AUDITOR},     # its assigned auditor
    ("can_decide_claim", "claims_final"):          {SUPERVISOR},
    ("can_decide_claim", "claims_four_eyes"):      set(),         # they reviewed it first
    ("can_resubmit_claim", "claims_firm"):         {FIRM_OWNER, FIRM_MEMBER},
    ("can_resubmit_claim", "claims_other_firm"):   set(),
    ("can_reassign_claims", None):                 {SUPERVISOR},
    ("can_manage_disbursements", None):            {SUPERVISOR},
    ("can_export_bank_file", None):                {SUPERVISOR},
    ("can_export_bank_file", "claims_batch"):      {SUPERVISOR},
    ("can_import_bank_result", None):              {SUPERVISOR},
    ("can_import_bank_result", "claims_batch"):    {SUPERVISOR},
    ("can_view_overdue", None):                    BUREAU,
    ("can_view_expert_pool", None):                {AUDITOR, SUPERVISOR, ADMIN},
    ("can_manage_expert_pool", None):              {ADMIN},
    ("can_override_block", "claims_blocked"):      {SUPERVISOR},   # not its auditor
    ("can_override_block", "claims_firm"):         set(),          # nothing blocks it
    ("can_override_block", None):                  set(),
}
PREDICATE_OBJECTS = {
    "claims_firm": firm_claim,
    "claims_other_firm": other_claim,
    "claims_final": final_claim,
    "claims_four_eyes": four_eyes_claim,
    "claims_invited": invited_claim,
    "claims_invitation": invitation,
    "claims_blocked": lambda world, role=None: blocked_claim(world),
    "claims_batch": lambda world, role=None: open_batch(world),
}
