"""Outbox consumers of the voucher domain: tell people what happened."""
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.notifications.services import (active_members, active_staff, notify,
                                                notify_coalesced)
from marketplace.vouchers.models import ApplicationStatus, Voucher, VoucherApplication


@outbox.handler("vouchers.application_submitted")
def tell_about_submission(application_id):
    application = db.session.get(VoucherApplication, application_id)
    params = {"programme": application.programme.name,
              "amount": format_fen(application.requested_fen)}
    link = f"/vouchers/applications/{application.id}"
    for member in active_members(application.firm_id):
        notify(member, "application_received", link=link, **params)
    # Thousands apply in the first minute of a programme: each auditor gets one notice
    # per programme that counts them (and one mail), not one per application.
    queue_link = f"/review/voucher-applications?programme={application.programme_id}"
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "application_to_review", link=queue_link,
                         firm=application.firm.name, **params)


@outbox.handler("vouchers.application_decided")
def tell_about_decision(application_id):
    application = db.session.get(VoucherApplication, application_id)
    link = f"/vouchers/applications/{application.id}"
    params = {"programme": application.programme.name}
    if application.status == ApplicationStatus.APPROVED:
        voucher = db.session.execute(select(Voucher).where(
            Voucher.application_id == application.id)).scalar_one()
        kind = "application_approved"
        params.update(amount=format_fen(voucher.face_value_fen),
                      expires_on=voucher.expires_on.isoformat())
        link = f"/vouchers/{voucher.id}"
    elif application.status == ApplicationStatus.REJECTED:
        kind = "application_rejected"
        params["comment"] = application.decision_comment or ""
    elif application.status == ApplicationStatus.RETURNED:
        kind = "application_returned"
        params["comment"] = application.decision_comment or ""
    else:
        return  # decided and then withdrawn before this ran: nothing to tell
    for member in active_members(application.firm_id):
        notify(member, kind, link=link, **params)
