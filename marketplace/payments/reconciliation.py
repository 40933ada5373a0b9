"""The books against the gateway: every PaymentIntent of a window is matched to a Payment
and that Payment to its receipt posting; what the gateway knows and the app did not is
recorded from the gateway's answer (a charge that pays for nothing is then refunded
automatically), and every difference is kept and told to the bureau.

Run nightly (for the last ``RECONCILIATION_DAYS``) and by `flask payments reconcile`.
The gateway is read first, holding no lock; each difference is then recorded under the
Payment's row lock, as a webhook would."""
import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from marketplace import funds
from marketplace.core import audit, outbox
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.payments import gateway, inbound, services
from marketplace.payments.models import PAID_STATUSES, Payment, Reconciliation


def reconcile(window_from=None, window_to=None, *, actor=None):
    """Match the gateway's PaymentIntents created in ``[window_from, window_to)`` (default:
    the last RECONCILIATION_DAYS up to now) with payments and postings. Returns the
    Reconciliation recorded."""
    window_to = window_to or now_utc()
    window_from = window_from or window_to - timedelta(
        days=current_app.config["RECONCILIATION_DAYS"])
    intents = gateway.list_intents(int(window_from.timestamp()), int(window_to.timestamp()))
    differences = []
    seen_payments = set()
    for intent in intents:
        found = _reconcile_intent(intent, actor)
        if found["payment"] is not None:
            seen_payments.add(found["payment"])
        differences += found["differences"]
    differences += _payments_the_gateway_does_not_know(window_from, window_to,
                                                       seen_payments)
    run = Reconciliation(window_from=window_from, window_to=window_to,
                         intents_seen=len(intents), payments_seen=len(seen_payments),
                         difference_count=len(differences),
                         differences=json.dumps(differences, ensure_ascii=False),
                         run_by_id=getattr(actor, "id", actor))
    db.session.add(run)
    db.session.flush()
    audit.record(run, "reconcile", actor=actor,
                 data={"intents": len(intents), "differences": len(differences)})
    if differences:
        outbox.emit("payments.reconciliation_differences", reconciliation_id=run.id)
    return run


def _difference(intent_id, payment_id, kind, detail):
    return {"intent": intent_id, "payment": payment_id, "kind": kind, "detail": detail}


def _reconcile_intent(intent, actor):
    before = services.payment_for_intent(intent.payment_intent_id) or (
        services.payment_for_key((intent.metadata or {}).get("payment_key") or ""))
    payment = inbound.payment_for_confirmed(intent)
    found = {"payment": payment.id if payment else None, "differences": []}
    note = found["differences"].append
    if payment is None:
        if intent.succeeded:
            note(_difference(intent.payment_intent_id, None, "unknown_charge",
                             f"{intent.amount_fen} fen charged for nothing the app knows; "
                             "refund it by hand at the gateway"))
        return found
    if before is None:
        note(_difference(intent.payment_intent_id, payment.id, "unrecorded_payment",
                         "the gateway knew a payment the app had not recorded: recorded "
                         "now"))
    services.lock_payment(payment)   # what it said before, as of now
    status_before, refunded_before = payment.status, payment.refunded_fen
    services.apply_intent(payment, intent, actor=actor)
    if intent.amount_refunded_fen:
        services.record_refunded_total(payment, intent.amount_refunded_fen, actor=actor)
    if payment.status != status_before:
        note(_difference(intent.payment_intent_id, payment.id, "status",
                         f"the app had {status_before.value}, the gateway says "
                         f"{payment.status.value}: recorded"))
    if payment.refunded_fen != refunded_before:
        note(_difference(intent.payment_intent_id, payment.id, "refund",
                         f"the gateway refunded {payment.refunded_fen} fen, the app had "
                         f"{refunded_before} fen: recorded"))
    if payment.is_paid and not _has_receipt(payment):
        note(_difference(intent.payment_intent_id, payment.id, "no_receipt",
                         "paid at the gateway but no receipt posting"))
    if (payment.status in PAID_STATUSES) != intent.succeeded and not intent.amount_refunded_fen:
        note(_difference(intent.payment_intent_id, payment.id, "status_disagrees",
                         f"the app says {payment.status.value}, the gateway {intent.status}"))
    return found


def _has_receipt(payment):
    return funds.copay.is_received(payment.id)


def _payments_the_gateway_does_not_know(window_from, window_to, seen):
    """Payments the app holds as paid, made in the window, whose intent the gateway did
    not list."""
    missing = db.session.execute(select(Payment).where(
        Payment.status.in_(PAID_STATUSES), Payment.created_dt >= window_from,
        Payment.created_dt < window_to, Payment.id.not_in(seen or {0}))).scalars().all()
    return [_difference(p.payment_intent_id, p.id, "not_at_gateway",
                        "the app holds this payment as paid; the gateway did not list it")
            for p in missing]


def latest(limit=20):
    return db.session.execute(select(Reconciliation).order_by(
        Reconciliation.id.desc()).limit(limit)).scalars().all()


@nightly_job
def reconcile_nightly():
    return reconcile()
