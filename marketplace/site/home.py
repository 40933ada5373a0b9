"""What each role's home page shows: the next thing to do, read from the domains'
services (read-only; nothing here changes state)."""
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace import funds
from marketplace.accounts.models import Role
from marketplace.extensions import db

RECENT = 5


@dataclass
class QueueItem:
    kind: str        # translated: what is waiting
    title: str
    url: str
    since: object    # when it entered the stage (oldest first)


def firm_context(user):
    from marketplace.orders.queries import orders_for
    from marketplace.vouchers import services as vouchers
    from marketplace.vouchers.models import ApplicationStatus, VoucherStatus

    firm = user.organisation
    held = [(v, funds.figures.voucher_balances(v)) for v in vouchers.vouchers_of_firm(firm)
            if v.status == VoucherStatus.ACTIVE]
    pending = [a for a in vouchers.applications_of_firm(firm)
               if a.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED,
                                   ApplicationStatus.WITHDRAWN)]
    open_programmes = vouchers.open_programmes()
    if held:
        step = "use_voucher"
    elif pending:
        step = "wait_application"
    elif open_programmes:
        step = "apply"
    else:
        step = "no_programme"
    orders = db.session.execute(orders_for(user).limit(RECENT)).scalars().all()
    return {"step": step, "vouchers": held, "pending": pending,
            "open_programme": open_programmes[0] if open_programmes else None,
            "orders": orders}


def agency_context(user):
    from marketplace.catalogue import scorecards
    from marketplace.catalogue.models import AgencyScorecard
    from marketplace.orders.queries import orders_for

    agency_id = user.organisation_id
    orders = db.session.execute(orders_for(user).limit(RECENT)).scalars().all()
    money = funds.figures.agency_figures(agency_id)
    return {"payable_fen": money["payable_fen"] + money["copay_payable_fen"],
            "voucher_payable_fen": money["payable_fen"],
            "copay_payable_fen": money["copay_payable_fen"],
            "recoveries_owed_fen": money["recoveries_owed_fen"],
            "recoveries": funds.recoveries.outstanding([agency_id]),
            "paid_fen": money["paid_fen"],
            "scorecard": scorecards.as_dict(db.session.get(AgencyScorecard, agency_id)),
            "orders": orders}


def review_queue(user, limit=10):
    """Everything waiting for ``user`` (auditor, supervisor or expert), the oldest first."""
    items = []
    if user.role in (Role.AUDITOR, Role.SUPERVISOR):
        items += _claims(user) + _voucher_applications() + _admissions()
    if user.role == Role.AUDITOR:
        items += _changes_of_facts()
    elif user.role == Role.EXPERT:
        items += _invitations(user)
    items.sort(key=lambda item: item.since)
    return items[:limit], len(items)


def _claims(user):
    from marketplace.claims.services import queue_for

    return [QueueItem(_("Claim"), _("Claim #%(id)s", id=c.id) + " · " + c.order.firm.name,
                      url_for("claims.claim", claim_id=c.id),
                      c.stage_started_dt or c.submitted_dt)
            for c in db.session.execute(queue_for(user)).scalars()]


def _voucher_applications():
    from marketplace.vouchers.services import review_queue as applications

    return [QueueItem(_("Voucher application"), a.firm.name,
                      url_for("vouchers.review", application_id=a.id), a.submitted_dt)
            for a in db.session.execute(applications()).scalars()]


def _admissions():
    from marketplace.agencies.services import review_queue as admissions

    return [QueueItem(_("Agency admission"), profile.organisation.name,
                      url_for("registry_review.review", agency_id=profile.organisation_id),
                      profile.status_changed_dt)
            for profile, _objections in db.session.execute(admissions()).all()]


def _changes_of_facts():
    from marketplace.accounts.change_requests import review_queue as changes

    return [QueueItem(_("Change of facts"), r.organisation.name,
                      url_for("identity.review", request_id=r.id), r.requested_dt)
            for r in db.session.execute(changes()).scalars()]


def _invitations(user):
    from marketplace.claims.expert_models import ExpertInvitation, InvitationState

    rows = db.session.execute(select(ExpertInvitation).where(
        ExpertInvitation.expert_id == user.id,
        ExpertInvitation.status.in_([InvitationState.INVITED, InvitationState.ACCEPTED]))
    ).scalars()
    return [QueueItem(_("Expert review"), _("Claim #%(id)s", id=i.claim_id),
                      url_for("claims.expert_invitations"), i.invited_dt) for i in rows]
