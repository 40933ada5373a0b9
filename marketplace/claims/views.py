"""Claim pages: each party follows its claims, auditors and supervisors work their queues
and decide on the claim page (every check with its evidence), supervisors reassign claims
and pay approved ones in disbursement batches."""
from datetime import date

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace.accounts.permissions import is_auditor, is_expert, is_supervisor
from marketplace.accounts.timeline import users_by_id
from marketplace.claims import assignment, experts, labels, queries, services
from marketplace.claims.expert_models import ExpertInvitation, InvitationState
from marketplace.claims import permissions as perms
from marketplace.claims.forms import AssignmentForm, DecisionForm, OverrideForm, ResubmitForm
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.sla import overdue_query
from marketplace.core.idempotency import idempotent_form
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.vouchers.permissions import can_view_voucher

bp = Blueprint("claims", __name__)

PER_PAGE = 20
DONE_PER_PAGE = 20     # an expert's done invitations, on their page

# what the claim waits for, by status
WAITING = {
    "submitted": _l("The automatic checks will run shortly."),
    "checking": _l("The automatic checks are running."),
    "first_review": _l("An auditor reviews the claim and the evidence of the checks."),
    "expert_review": _l("Waiting for the expert panel."),
    "final_approval": _l("A supervisor gives the final approval."),
    "returned": _l("Returned to the firm for correction."),
    "approved": _l("Approved: the bureau pays it in its next disbursement batch."),
    "disbursed": _l("Paid to the agency."),
    "rejected": _l("Rejected: the reserved voucher value is available again."),
    "voided": _l("Voided."),
}


def visible_claim(claim_id):
    """The claim, or 404 for anyone who may not see it (its existence is not disclosed)."""
    claim = db.session.get(Claim, claim_id)
    require_visible(perms.can_view_claim, claim)
    return claim


def _blank(form_class, **kwargs):
    return form_class(formdata=None, **kwargs)


SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(1, 6)]


class AnswerForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=[("accept", _l("Accept")),
                                                   ("decline", _l("Decline"))],
                        validators=[DataRequired(message=_l("Accept or decline."))])


class ScoreForm(FlaskForm):
    """The three criteria of the panel, 1 (poor) to 5 (good), and the expert's reasons."""
    necessity = SelectField(_l("Necessity"), choices=SCORE_CHOICES, validators=[
        DataRequired(message=_l("Score each criterion from 1 to 5."))])
    price_reasonableness = SelectField(_l("Price reasonableness"), choices=SCORE_CHOICES,
                                       validators=[DataRequired(
                                           message=_l("Score each criterion from 1 to 5."))])
    delivery_quality = SelectField(_l("Delivery quality"), choices=SCORE_CHOICES,
                                   validators=[DataRequired(
                                       message=_l("Score each criterion from 1 to 5."))])
    comment = TextAreaField(_l("Comment (your reasons, for the supervisor)"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])

    def values(self):
        return {name: int(getattr(self, name).data)
                for name in ("necessity", "price_reasonableness", "delivery_quality")}


def score_form(invitation_id, formdata=True):
    prefix = f"score-{invitation_id}"
    return ScoreForm(prefix=prefix) if formdata else _blank(ScoreForm, prefix=prefix)


def _assignment_form(form=None):
    form = form or _blank(AssignmentForm)
    form.auditor.choices = [(a.id, a.name) for a in queries.active_auditors()]
    return form


def render_claim(claim, status=200, **forms):
    """The claim page; ``forms`` replace the blank form of the same name (a refused form
    keeps what was typed)."""
    user = current_user
    order_page = "orders.order_page" in current_app.view_functions
    people = users_by_id({claim.assigned_auditor_id, claim.first_reviewer_id})
    context = {
        "claim": claim, "order": claim.order, "contract": claim.contract,
        "delivery": claim.order.delivery, "stage": queries.stage_of(claim),
        "waiting": WAITING.get(claim.status.value),
        "checks": queries.checks_view(claim), "decisions": services.decisions_of(claim),
        "timeline": queries.timeline(claim), "clock": queries.clock_of(claim),
        "auditor": people.get(claim.assigned_auditor_id),
        "first_reviewer": people.get(claim.first_reviewer_id),
        "order_link": url_for("orders.order_page", order_id=claim.order_id)
        if order_page else None,
        "voucher_link": url_for("vouchers.voucher", voucher_id=claim.voucher_id)
        if can_view_voucher(user, claim.contract.voucher) else None,
        "can_decide": perms.can_decide_claim(user, claim),
        "four_eyes": (claim.status == ClaimStatus.FINAL_APPROVAL and is_supervisor(user)
                      and claim.first_reviewer_id == user.id),
        "can_resubmit": perms.can_resubmit_claim(user, claim)
        and claim.status == ClaimStatus.RETURNED,
        "can_reassign": perms.can_reassign_claims(user)
        and claim.status in assignment.REASSIGNABLE,
        "show_evidence": perms.can_view_check_evidence(user, claim),
        "field_names": {k: str(v) for k, v in labels.RELATED_FIELDS.items()},
        "decision_names": {k: str(v) for k, v in labels.DECISIONS.items()},
        "can_see_batch": perms.can_manage_disbursements(user),
        "decision_form": forms.get("decision_form") or _blank(DecisionForm),
        "override": services.override_of(claim),
        "override_titles": [labels.check_name(name) for name in
                            getattr(services.override_of(claim), "check_names", [])],
        "blocking": services.blocking_checks(claim) if claim.is_blocked else [],
        "can_override": perms.can_override_block(user, claim)
        and services.override_of(claim) is None,
        "override_form": forms.get("override_form") or _blank(OverrideForm),
        "resubmit_form": forms.get("resubmit_form") or _blank(ResubmitForm),
        "assignment_form": _assignment_form(forms.get("assignment_form")),
        "panel": queries.panel_of(claim) if perms.can_view_panel(user, claim) else None,
        "can_view_expert_pool": perms.can_view_expert_pool(user),
        "panel_states": {k: str(v) for k, v in queries.INVITATION_STATES.items()},
    }
    return render_template("claims/claim.html", **context), status


def show_refused(claim, form_name, form, error):
    """The claim page again after ``attempt`` refused a step: re-read (the transaction was
    rolled back) and with the form as it was typed."""
    return render_claim(db.session.get(Claim, claim.id), status=error.status,
                        **{form_name: form})


# --- lists ----------------------------------------------------------------------------------

def _status_argument(default):
    value = request.args.get("status", default)
    known = {s.value for s in ClaimStatus}
    return value if value in known or value == "all" else default


@bp.route("/claims")
@access(perms.can_list_claims)
def claims_list():
    user = current_user
    default = "first_review" if is_auditor(user) else \
        "final_approval" if is_supervisor(user) else "all"
    status = _status_argument(default)
    problem = request.args.get("problem", "")
    problem = problem if problem in queries.PROBLEMS else ""
    query = queries.claims_for(user, status if status == "all" else ClaimStatus(status),
                               problem or None)
    pagination = db.paginate(query, page=page_argument(), per_page=PER_PAGE,
                             error_out=False)
    auditors = users_by_id({c.assigned_auditor_id for c in pagination.items})
    return render_template("claims/list.html", pagination=pagination, status=status,
                           problem=problem, statuses=list(ClaimStatus),
                           problems=queries.PROBLEMS, auditors=auditors,
                           clocks={c.id: queries.clock_of(c) for c in pagination.items},
                           is_queue=perms.can_review_claims(user),
                           can_view_overdue=perms.can_view_overdue(user),
                           default_status=default)


@bp.route("/claims/overdue")
@access(perms.can_view_overdue)
def overdue():
    today = date.today()
    pagination = db.paginate(overdue_query(today), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    found = pagination.items
    return render_template("claims/overdue.html", pagination=pagination,
                           clocks={c.id: queries.clock_of(c, today) for c in found},
                           auditors=users_by_id({c.assigned_auditor_id
                                                         for c in found}))


# --- one claim ------------------------------------------------------------------------------

@bp.route("/claims/<int:claim_id>")
@access(perms.can_open_claims)
def claim(claim_id):
    return render_claim(visible_claim(claim_id))


@bp.route("/claims/<int:claim_id>/decision", methods=["POST"])
@access(perms.can_decide_claim)
@idempotent_form
def decide(claim_id):
    found = visible_claim(claim_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_claim(found, status=422, decision_form=form)
    _result, refused = attempt(services.decide, found, current_user, form.decision.data,
                               form.comment.data, form=form)
    if refused:
        return show_refused(found, "decision_form", form, refused)
    db.session.commit()
    flash(_("The decision is recorded; the firm and the agency are told."), "success")
    return redirect(url_for("claims.claims_list"))


@bp.route("/claims/<int:claim_id>/override", methods=["POST"])
@access(is_supervisor)
@idempotent_form
def override(claim_id):
    """A supervisor other than the claim's first reviewer lets a blocked claim go on,
    with a written reason shown on the claim and in the audit log."""
    found = visible_claim(claim_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        return render_claim(found, status=422, override_form=form)
    _result, refused = attempt(services.override_block, found, current_user,
                               form.reason.data, form=form)
    if refused:
        return show_refused(found, "override_form", form, refused)
    db.session.commit()
    flash(_("The override is recorded with your reason; the reviewer can decide now."),
          "success")
    return redirect(url_for("claims.claim", claim_id=found.id))


@bp.route("/claims/<int:claim_id>/resubmit", methods=["POST"])
@access(perms.can_list_claims)
def resubmit(claim_id):
    found = visible_claim(claim_id)
    if not perms.can_resubmit_claim(current_user, found):
        abort(403)
    form = ResubmitForm()
    if not form.validate_on_submit():
        return render_claim(found, status=422, resubmit_form=form)
    _result, refused = attempt(services.resubmit, found, current_user, form.note.data, form=form)
    if refused:
        return show_refused(found, "resubmit_form", form, refused)
    db.session.commit()
    flash(_("The claim is submitted again; the automatic checks run once more."),
          "success")
    return redirect(url_for("claims.claim", claim_id=found.id))


@bp.route("/claims/<int:claim_id>/assignment", methods=["POST"])
@access(perms.can_reassign_claims)
def reassign(claim_id):
    found = visible_claim(claim_id)
    form = _assignment_form(AssignmentForm())
    if not form.validate_on_submit():
        return render_claim(found, status=422, assignment_form=form)
    _result, refused = attempt(assignment.reassign, found, current_user, form.auditor.data,
                               form=form)
    if refused:
        return show_refused(found, "assignment_form", form, refused)
    db.session.commit()
    flash(_("The claim is assigned to another auditor, who is told."), "success")
    return redirect(url_for("claims.claim", claim_id=found.id))


# --- the expert stage ------------------------------------------------------------------------

def _own_invitation(invitation_id):
    """The expert's own invitation, or 404 (another's is not disclosed)."""
    invitation = db.session.get(ExpertInvitation, invitation_id)
    require_visible(perms.can_answer_invitation, invitation)
    return invitation


def render_invitations(status=200, forms=None):
    """The expert's invitations: to answer (with the time to answer by), to score, done."""
    found = queries.invitations_for(current_user, done=False)
    done = db.paginate(queries.invitations_for(current_user, done=True),
                       page=page_argument(), per_page=DONE_PER_PAGE, error_out=False)
    forms = forms or {}
    context = {
        "invited": [i for i in found if i.status == InvitationState.INVITED],
        "accepted": [i for i in found if i.status == InvitationState.ACCEPTED],
        "done": done,
        "claims": queries.claims_by_id({i.claim_id for i in found + done.items}),
        "answer_form": _blank(AnswerForm),
        "score_forms": {i.id: forms.get(i.id) or score_form(i.id, formdata=False)
                        for i in found if i.status == InvitationState.ACCEPTED},
        "state_names": {s.value: str(queries.INVITATION_STATES[s.value])
                        for s in InvitationState},
    }
    return render_template("claims/expert_invitations.html", **context), status


@bp.route("/expert/invitations")
@access(is_expert)
def expert_invitations():
    return render_invitations()


@bp.route("/expert/invitations/<int:invitation_id>/answer", methods=["POST"])
@access(is_expert)
def answer_invitation(invitation_id):
    invitation = _own_invitation(invitation_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        for error in form.answer.errors:
            flash(str(error), "danger")
        return render_invitations(status=422)
    accept = form.answer.data == "accept"
    _result, refused = attempt(experts.respond, invitation, current_user, accept=accept)
    if refused:
        return render_invitations(status=refused.status)
    db.session.commit()
    flash(_("Thank you: the claim is yours to score.") if accept
          else _("You declined; another expert is drawn."), "success")
    return redirect(url_for("claims.expert_invitations"))


@bp.route("/expert/invitations/<int:invitation_id>/score", methods=["POST"])
@access(is_expert)
def score_invitation(invitation_id):
    invitation = _own_invitation(invitation_id)
    form = score_form(invitation.id)
    if invitation.status != InvitationState.ACCEPTED:
        flash(_("This invitation is not waiting for your scores."), "danger")
        return render_invitations(status=409)
    if not form.validate_on_submit():
        return render_invitations(status=422, forms={invitation.id: form})
    _result, refused = attempt(experts.score, invitation, current_user, comment=form.comment.data,
                               **form.values(), form=form)
    if refused:
        return render_invitations(status=refused.status, forms={invitation.id: form})
    db.session.commit()
    flash(_("Your scores are recorded; the supervisor sees them with the claim."),
          "success")
    return redirect(url_for("claims.expert_invitations"))


from marketplace.claims import disbursement_views  # noqa: E402,F401  (its routes on bp)
