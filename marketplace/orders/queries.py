"""What the order pages and the API read: lists, the timeline from the audit log, the
voucher split a firm would get, the payment state. Nothing here writes."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import funds
from marketplace.accounts.permissions import is_agency_member, is_firm_member
from marketplace.accounts.timeline import timeline as audit_timeline
from marketplace.core.audit import AuditRecord
from marketplace.core.labels import label
from marketplace.core.money import format_fen
from marketplace.extensions import db
from marketplace.integrity import certification
from marketplace.orders import fulfilment
from marketplace.orders.models import Order, OrderStatus, Rating
from marketplace.orders.pricing import split_contract
from marketplace.orders.services import usable_vouchers
from marketplace.vouchers.models import ProgrammeRuleVersion


def orders_for(user, status=None):
    """Newest first: a firm's or an agency's own orders; the bureau sees all."""
    statement = select(Order).order_by(Order.created_dt.desc(), Order.id.desc())
    if is_firm_member(user):
        statement = statement.where(Order.firm_id == user.organisation_id)
    elif is_agency_member(user):
        statement = statement.where(Order.agency_id == user.organisation_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    return statement


def status_argument(value):
    """An ``OrderStatus`` from a query-string value, None for "all" or anything unknown."""
    return OrderStatus(value) if value in {s.value for s in OrderStatus} else None


# --- the timeline ---------------------------------------------------------------------

ACTIONS = {
    "request": _l("Order placed"),
    "quote": _l("Quote sent"),
    "sign": _l("Contract signed"),
    "pay": _l("Co-pay received"),
    "deliver": _l("Delivered with the invoice"),
    "accept": _l("Delivery accepted"),
    "dispute": _l("Delivery disputed"),
    "redeliver": _l("Sent back for a new delivery"),
    "mediate": _l("Dispute mediated by the bureau"),
    "request_cancellation": _l("Cancellation requested"),
    "decline_cancellation": _l("Cancellation declined"),
    "cancel": _l("Order cancelled"),
    "upload_document": _l("Document uploaded"),
    "flag": _l("Flagged: the agency left the registry"),
}
MEDIATION_OUTCOMES = {
    "redeliver": _l("the agency delivers again"),
    "accept": _l("the delivery is accepted"),
    "cancel": _l("the order is cancelled"),
}


def _detail(action, data, users):
    if action == "quote" and "contract_amount_fen" in data:
        return str(_l("Contract amount %(amount)s",
                      amount=format_fen(data["contract_amount_fen"])))
    if action == "sign" and "copay_fen" in data:
        return str(_l("Voucher part %(voucher)s, co-pay %(copay)s",
                      voucher=format_fen(data.get("voucher_part_fen") or 0),
                      copay=format_fen(data["copay_fen"])))
    if action == "pay" and data.get("copay_fen"):
        return format_fen(data["copay_fen"])
    if action == "deliver" and data.get("invoice_number"):
        return str(_l("Invoice %(number)s", number=data["invoice_number"]))
    if action == "mediate":
        outcome = MEDIATION_OUTCOMES.get(data.get("outcome"), data.get("outcome"))
        return f"{outcome} — {data.get('note', '')}"
    if action == "upload_document":
        return f"{label(data.get('kind', ''))}: {data.get('name', '')}"
    for key in ("reason", "note"):
        if data.get(key):
            return data[key]
    return None


def timeline(order):
    return audit_timeline("Order", order.id, ACTIONS, _detail)


# --- the contract: what each of the firm's vouchers would pay -------------------------

@dataclass(frozen=True)
class VoucherOption:
    voucher: object
    available_fen: int
    split: object          # pricing.Split, or None when the voucher cannot pay
    refusal: str | None    # why it cannot


def _refusal(order, quote, rules, available, certified):
    if certified is None:
        return str(_l("The firm has no valid certificate of its tier: the certification "
                      "lists decide the voucher's share."))
    if not order.offering.accepts_vouchers:
        return str(_l("This offering does not accept vouchers."))
    if quote.contract_amount_fen < rules.min_order_fen:
        return str(_l("Below the programme's minimum order of %(amount)s.",
                      amount=format_fen(rules.min_order_fen)))
    category, codes = order.offering.category, rules.category_codes
    if codes and category.code not in codes and (
            category.parent is None or category.parent.code not in codes):
        return str(_l("The programme does not cover this service category."))
    if available <= 0:
        return str(_l("No balance left."))
    return None


def voucher_options(order):
    """The firm's usable vouchers with the split each would give the current quote (the
    same rule ``services.sign_contract`` applies; the signature itself decides)."""
    quote = order.current_quote
    if quote is None:
        return []
    options = []
    vouchers = usable_vouchers(order.firm_id)
    certified = certification.tier_on(order.firm.uscc) if vouchers else None
    for voucher in vouchers:
        rules = voucher.programme.current_rules
        available = funds.figures.voucher_available_fen(voucher.id)
        refusal = _refusal(order, quote, rules, available, certified)
        split = None if refusal else split_contract(
            quote.contract_amount_fen, share_bp=rules.share_bp_for(certified.tier),
            available_fen=available, single_order_max_fen=rules.single_order_max_fen)
        options.append(VoucherOption(voucher, available, split, refusal))
    return options


# --- the rest of the order page -------------------------------------------------------

def rule_version_of(contract):
    if contract is None or contract.rule_version_id is None:
        return None
    return db.session.get(ProgrammeRuleVersion, contract.rule_version_id)


def rating_of(order):
    return db.session.execute(select(Rating).where(Rating.order_id == order.id)) \
        .scalar_one_or_none()


PAYMENT_STATES = {
    "not_due": _l("Due once the contract is signed."),
    "none": _l("No co-pay: the voucher pays the whole contract."),
    "due": _l("Due: the firm pays by card on this page."),
    "held": _l("Received and held by the platform until acceptance."),
    "released": _l("Released to the agency on acceptance."),
    "refunded": _l("Handed back to the firm on cancellation."),
    "not_paid": _l("Not paid."),
}


def payment_state(order):
    """(state code, co-pay fen, fen the platform holds now)."""
    contract = order.contract
    if contract is None:
        return "not_due", None, 0
    held = fulfilment.copay_held_fen(order)
    if contract.copay_fen == 0:
        return "none", 0, 0
    if order.status == OrderStatus.CONTRACTED:
        return "due", contract.copay_fen, held
    if order.status == OrderStatus.ACCEPTED:
        return "released", contract.copay_fen, held
    if order.status == OrderStatus.CANCELLED:
        return ("refunded" if _was_paid(order) else "not_paid"), contract.copay_fen, held
    return "held", contract.copay_fen, held


def _was_paid(order):
    return db.session.execute(select(AuditRecord.id).where(
        AuditRecord.object_type == "Order", AuditRecord.object_id == str(order.id),
        AuditRecord.action == "pay")).first() is not None
