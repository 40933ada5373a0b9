"""Programmes, applications and vouchers. Services flush; the caller commits once."""
import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from marketplace import funds
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.vouchers import rules as eligibility
from marketplace.vouchers.models import (ApplicationStatus, Programme, ProgrammeRuleVersion,
                                         Voucher, VoucherApplication, VoucherStatus)

DEFAULT_RULES = {
    "share_bp_tech_sme": 5000, "share_bp_high_tech": 5000, "share_bp_benchmark": 5000,
    "cap_fen_tech_sme": 200_000_00, "cap_fen_high_tech": 300_000_00,
    "cap_fen_benchmark": 500_000_00, "min_order_fen": 5_000_00, "claim_deadline_days": 90,
    "single_order_max_fen": 200_000_00, "split_window_days": 90,
    "price_ratio_max_bp": 15000, "category_ratio_max_bp": 20000, "category_min_contracts": 10,
}
RULE_FIELDS = tuple(DEFAULT_RULES) + ("eligible_category_codes",)



class Ineligible(ValidationFailed):
    code = "ineligible"
    default_message = _l("The application does not meet the programme's rules.")


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    default_message = _l("The programme's budget cannot fund this amount any more.")


class AmountNotAllowed(ValidationFailed):
    code = "amount_not_allowed"
    default_message = _l("The approved amount must be positive and at most the amount "
                         "requested and the tier cap.")


class BudgetBelowIssued(Conflict):
    code = "budget_below_issued"
    default_message = _l("The budget cannot be lower than what has already been issued.")


# --- programmes -----------------------------------------------------------------------

def create_programme(*, actor, name, year, budget_fen, applications_open_on,
                     applications_close_on, vouchers_valid_until, rules=None):
    programme = Programme(name=name, year=year, budget_fen=budget_fen,
                          applications_open_on=applications_open_on,
                          applications_close_on=applications_close_on,
                          vouchers_valid_until=vouchers_valid_until,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(programme)
    db.session.flush()
    _new_rule_version(programme, actor, {**DEFAULT_RULES, **(rules or {})}, note="initial")
    funds.budget.fund_programme(programme.id, budget_fen, actor=actor,
                                memo=f"budget of {name}")
    audit.record(programme, "create", actor=actor, after="created",
                 data={"budget_fen": budget_fen, "year": year})
    return programme


def _new_rule_version(programme, actor, values, note=None):
    latest = db.session.execute(
        select(func.max(ProgrammeRuleVersion.version))
        .where(ProgrammeRuleVersion.programme_id == programme.id)).scalar() or 0
    codes = values.get("eligible_category_codes", [])
    version = ProgrammeRuleVersion(
        programme_id=programme.id, version=latest + 1, note=note,
        created_by_id=getattr(actor, "id", None),
        eligible_category_codes=json.dumps(sorted(codes) if not isinstance(codes, str)
                                           else json.loads(codes)),
        **{key: int(values[key]) for key in DEFAULT_RULES})
    db.session.add(version)
    db.session.flush()
    programme.current_rules_id = version.id
    programme.current_rules = version
    return version


def update_programme(programme, *, actor, rules=None, note=None, **fields):
    """Change a programme. Changed rules become a new version; decisions already taken
    keep the version they applied. A budget change is a ledger posting."""
    changed = {}
    new_budget = fields.pop("budget_fen", None)
    if new_budget is not None:
        # under the programme's row lock, re-read: the posting is the difference from the
        # budget as it stands, not as this request first read it (two changes at once)
        programme = db.session.execute(for_update(
            select(Programme).where(Programme.id == programme.id)
            .execution_options(populate_existing=True), of=Programme)).unique().scalar_one()
    for name, value in fields.items():
        if value is not None and getattr(programme, name) != value:
            changed[name] = str(value)
            setattr(programme, name, value)
    if new_budget is not None and new_budget != programme.budget_fen:
        _change_budget(programme, new_budget, actor)
        changed["budget_fen"] = new_budget
    if rules:
        current = programme.current_rules
        merged = {key: getattr(current, key) for key in DEFAULT_RULES}
        merged["eligible_category_codes"] = current.category_codes
        merged.update(rules)
        differs = any(merged[key] != getattr(current, key) for key in DEFAULT_RULES) or \
            sorted(merged["eligible_category_codes"]) != sorted(current.category_codes)
        if differs:
            version = _new_rule_version(programme, actor, merged, note=note)
            changed["rules_version"] = version.version
    if changed:
        audit.record(programme, "update", actor=actor, data=changed)
    db.session.flush()
    return programme


def _change_budget(programme, new_budget, actor):
    difference = new_budget - programme.budget_fen
    try:
        if difference > 0:
            funds.budget.fund_programme(programme.id, difference, actor=actor,
                                        memo="budget raised")
        else:
            funds.budget.defund_programme(programme.id, -difference, actor=actor,
                                          memo="budget lowered")
    except funds.InsufficientBalance:
        raise BudgetBelowIssued(details={"field": "budget"})
    programme.budget_fen = new_budget


def open_programmes(today=None):
    today = today or date.today()
    return db.session.execute(
        select(Programme).where(Programme.applications_open_on <= today,
                                Programme.applications_close_on >= today)
        .order_by(Programme.year.desc(), Programme.id)).scalars().all()


def all_programmes():
    return db.session.execute(
        select(Programme).order_by(Programme.year.desc(), Programme.id.desc())).scalars().all()


def get_programme(programme_id):
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound()
    return programme


# --- applications ---------------------------------------------------------------------

# The programme an application names, with its current rules and rule 3.1's look-up, in
# one statement (built once): the API's opening rush reads both for every application.
_PROGRAMME_AND_TAKEN = select(Programme, eligibility.already_taken(
    bindparam("programme_id"), bindparam("firm_id"))).where(
        Programme.id == bindparam("programme_id"))


def programme_for_application(programme_id, firm_id):
    """``(programme, taken)``: the programme and whether the firm already has a live
    application or a voucher in it (for :func:`apply_for_voucher`); None when there is
    no such programme."""
    return db.session.execute(_PROGRAMME_AND_TAKEN, {
        "programme_id": programme_id, "firm_id": firm_id}).first()


def apply_for_voucher(*, firm, applicant, programme, requested_fen, purpose,
                      planned_category_codes=(), declares_no_double_funding, today=None,
                      taken=None):
    """Submit an application; refused with every failed rule when not eligible.
    ``taken``: rule 3.1's look-up when the caller read it with the programme."""
    today = today or date.today()
    rules = programme.current_rules
    checks = eligibility.check_eligibility(
        programme=programme, rules=rules, firm=firm, requested_fen=requested_fen,
        declares_no_double_funding=declares_no_double_funding, today=today, taken=taken)
    _refuse_if_failed(checks)
    application = VoucherApplication(
        programme_id=programme.id, firm_id=firm.id, applicant_id=applicant.id,
        status=ApplicationStatus.SUBMITTED, requested_fen=requested_fen, purpose=purpose,
        planned_category_codes=json.dumps(list(planned_category_codes)),
        declares_no_double_funding=declares_no_double_funding,
        eligibility=json.dumps(checks), rule_version_id=rules.id)
    db.session.add(application)
    db.session.flush()
    audit.record(application, "submit", actor=applicant, after=ApplicationStatus.SUBMITTED,
                 data={"requested_fen": requested_fen, "rules_version": rules.version})
    outbox.emit("vouchers.application_submitted", application_id=application.id)
    return application


def _refuse_if_failed(checks):
    failures = eligibility.failed(checks)
    if failures:
        raise Ineligible(details={"failed": [
            {"clause": c["clause"], "version": c["version"], "rule": c["rule"],
             "message": eligibility.describe(c)} for c in failures]})


def resubmit_application(application, *, actor, requested_fen, purpose,
                         planned_category_codes, declares_no_double_funding, today=None):
    today = today or date.today()
    locked = lock_application(application.id)
    programme = locked.programme
    rules = programme.current_rules
    checks = eligibility.check_eligibility(
        programme=programme, rules=rules, firm=locked.firm, requested_fen=requested_fen,
        declares_no_double_funding=declares_no_double_funding, today=today,
        ignore_application_id=locked.id)
    _refuse_if_failed(checks)
    locked.requested_fen, locked.purpose = requested_fen, purpose
    locked.planned_category_codes = json.dumps(list(planned_category_codes))
    locked.declares_no_double_funding = declares_no_double_funding
    locked.eligibility, locked.rule_version_id = json.dumps(checks), rules.id
    locked.submitted_dt = now_utc()
    transition(locked, "resubmit", actor=actor, data={"requested_fen": requested_fen})
    outbox.emit("vouchers.application_submitted", application_id=locked.id)
    return locked


def withdraw_application(application, *, actor):
    locked = lock_application(application.id)
    transition(locked, "withdraw", actor=actor)
    return locked


def lock_application(application_id):
    """Load an application with a row lock so two reviewers cannot decide it twice."""
    query = for_update(select(VoucherApplication)
                       .where(VoucherApplication.id == application_id), of=VoucherApplication)
    application = db.session.execute(query).unique().scalar_one_or_none()
    if application is None:
        raise NotFound()
    db.session.refresh(application)
    return application


def current_checks(application, today=None):
    """The eligibility checks as they stand now (what the auditor decides on)."""
    return eligibility.check_eligibility(
        programme=application.programme, rules=application.programme.current_rules,
        firm=application.firm, requested_fen=application.requested_fen,
        declares_no_double_funding=application.declares_no_double_funding,
        today=today or date.today(), ignore_application_id=application.id)


def decide_application(application, *, actor, decision, amount_fen=None, comment=None):
    """approve (issues the voucher), reject (reason required) or return for correction."""
    locked = lock_application(application.id)
    rules = locked.programme.current_rules
    if decision == "approve":
        from marketplace.accounts.versions import current_version
        from marketplace.integrity import barred, certification

        barred.refuse_if_barred({"firm": current_version(locked.firm)}, field="decision")
        amount = int(amount_fen if amount_fen is not None else locked.requested_fen)
        # the tier on the decision day: a certificate expired since the application lowers it
        certified = certification.tier_on(locked.firm.uscc)
        cap = rules.cap_for(certified.tier) if certified is not None else 0
        if amount <= 0 or amount > locked.requested_fen or amount > cap:
            raise AmountNotAllowed(details={"field": "amount", "max_fen":
                                            min(locked.requested_fen, cap)})
        locked.approved_fen = amount
        _record_decision(locked, actor, comment, rules)
        transition(locked, "approve", actor=actor, data={"amount_fen": amount,
                                                         "rules_version": rules.version})
        voucher = _issue_voucher(locked, amount, actor, rules)
        outbox.emit("vouchers.application_decided", application_id=locked.id)
        return voucher
    if decision in ("reject", "return"):
        if not (comment or "").strip():
            raise ValidationFailed(_l("Give the reason, so the firm knows what to do."),
                                   code="reason_required", details={"field": "comment"})
        _record_decision(locked, actor, comment, rules)
        transition(locked, decision, actor=actor, data={"comment": comment.strip()})
        outbox.emit("vouchers.application_decided", application_id=locked.id)
        return None
    raise ValidationFailed(details={"field": "decision"})


def _record_decision(application, actor, comment, rules):
    application.decided_by_id = actor.id
    application.decided_dt = now_utc()
    application.decision_comment = (comment or "").strip() or None
    application.decision_rule_version_id = rules.id


def _issue_voucher(application, amount, actor, rules):
    programme = application.programme
    voucher = Voucher(programme_id=programme.id, firm_id=application.firm_id,
                      application_id=application.id, face_value_fen=amount,
                      status=VoucherStatus.ACTIVE, expires_on=programme.vouchers_valid_until,
                      rule_version_id=rules.id)
    db.session.add(voucher)
    db.session.flush()
    try:
        funds.budget.issue(voucher, amount, actor=actor,
                           idempotency_key=f"voucher-issue:{application.id}")
    except funds.InsufficientBalance:
        raise BudgetExhausted(details={"field": "amount"})
    audit.record(voucher, "issue", actor=actor, after=VoucherStatus.ACTIVE,
                 data={"face_value_fen": amount})
    return voucher


def review_queue(status=ApplicationStatus.SUBMITTED, programme_id=None):
    """Applications for review, the oldest first."""
    query = select(VoucherApplication).order_by(VoucherApplication.submitted_dt,
                                                VoucherApplication.id)
    if status is not None:
        query = query.where(VoucherApplication.status == status)
    if programme_id:
        query = query.where(VoucherApplication.programme_id == programme_id)
    return query


def applications_of_firm(firm):
    return db.session.execute(
        select(VoucherApplication).where(VoucherApplication.firm_id == firm.id)
        .order_by(VoucherApplication.submitted_dt.desc())).scalars().all()


def vouchers_of_firm(firm):
    return db.session.execute(
        select(Voucher).where(Voucher.firm_id == firm.id)
        .order_by(Voucher.issued_dt.desc())).scalars().all()
