"""Outbox consumers of the payments domain: refund a charge that pays for nothing, and
tell the bureau what the gateway and the books disagreed on."""
from marketplace.accounts.models import Role
from marketplace.core import outbox
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.notifications.services import active_staff, notify
from marketplace.payments import services
from marketplace.payments.models import Payment, Reconciliation


@outbox.handler("payments.refund_unallocated")
def refund_unallocated(payment_id):
    """The whole charge goes back through the gateway (its key makes a retry harmless);
    the refund is booked when the gateway's answer is recorded. The supervisors hear of
    it: a second charge or a late one is worth a look."""
    payment = db.session.get(Payment, payment_id)
    if payment.refundable_fen:
        services.refund(payment, idempotency_key=f"unallocated:{payment.id}")
    for supervisor in active_staff(Role.SUPERVISOR):
        notify(supervisor, "payment_refunded_unallocated", link="/payments/reconciliation",
               intent=payment.payment_intent_id or "-", amount=format_fen(payment.amount_fen),
               subject=f"{payment.subject_type} {payment.subject_id}")


@outbox.handler("payments.reconciliation_differences")
def tell_of_differences(reconciliation_id):
    run = db.session.get(Reconciliation, reconciliation_id)
    for role in (Role.SUPERVISOR, Role.AUDITOR):
        for person in active_staff(role):
            notify(person, "payment_reconciliation_differences",
                   link="/payments/reconciliation", count=run.difference_count)
