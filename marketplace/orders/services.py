"""The order flow up to the contract: request, quote, sign (the voucher part reserved).

Services flush and never commit. The voucher row is locked while its balance is read
and reserved, and the reservation itself is a conditional ledger update, so two
contracts signed at once on one voucher never reserve more than it holds."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload, lazyload

from marketplace import funds
from marketplace.agencies.models import AgencyStatus
from marketplace.catalogue.services import AgencyNotActive, is_visible
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import local_date, now_utc
from marketplace.extensions import db
from marketplace.integrity import barred, certification
from marketplace.orders import signals
from marketplace.orders.models import ContractType, Order, OrderStatus, Quote, TechContract
from marketplace.orders.pricing import split_contract
from marketplace.technology_fields import services as fields
from marketplace.vouchers import lifecycle as voucher_lifecycle
from marketplace.vouchers.models import VoucherStatus


class OfferingUnavailable(Conflict):
    code = "offering_unavailable"
    default_message = _l("This offering is not available for orders.")


class BelowMinimumOrder(ValidationFailed):
    code = "below_minimum_order"
    default_message = _l("Orders below the programme's minimum contract amount cannot use "
                         "a voucher.")


class VoucherNotUsable(Conflict):
    code = "voucher_not_usable"
    default_message = _l("This voucher cannot pay for this contract.")


class QuoteChanged(Conflict):
    code = "quote_changed"
    default_message = _l("The agency has sent a new quote since you opened this page. "
                         "Please read it before you sign.")


class OrderFrozen(Conflict):
    code = "order_frozen"
    default_message = _l("The agency has been removed from the registry: this order is "
                         "frozen and can only be cancelled.")


def is_frozen(order):
    """Removing an agency freezes its open orders (domain.md, Lifecycles): no co-pay is
    taken for them, nothing is delivered or accepted, so no money moves on towards the
    agency; cancelling still gives the firm its money back."""
    return order.agency.status == AgencyStatus.REMOVED


def refuse_if_frozen(order):
    if is_frozen(order):
        raise OrderFrozen()


class NotYourTurn(Conflict):
    code = "not_your_turn"
    default_message = _l("The other party has to act first.")


_LOCKED_ORDERS = "orders_locked"
# what lock_order re-reads: the orders row's own columns
_ORDER_COLUMNS = tuple(column.key for column in Order.__mapper__.column_attrs)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_order_locks(session, *_args):
    # row locks end with the transaction (a rolled-back savepoint's too)
    session.info.pop(_LOCKED_ORDERS, None)


def load_locked_order(order_id, *options):
    """The order read under its row lock with its quotes, in one statement, or None: for
    a view that loads the order only to act on it under the lock (its permission check
    follows; a refused request rolls back, which releases the lock). ``lock_order`` then
    costs nothing for it in this transaction."""
    order = db.session.execute(for_update(
        select(Order).where(Order.id == order_id)
        .options(joinedload(Order.quotes), *options)
        .execution_options(populate_existing=True), of=Order)).unique().scalar_one_or_none()
    if order is not None:
        db.session.info.setdefault(_LOCKED_ORDERS, set()).add(order.id)
    return order


def lock_order(order, *, with_quotes=False):
    """Re-read the order under a row lock (two requests signing or paying at once).

    Only the orders row is locked, so only its columns (and with ``with_quotes`` its
    quotes, in the same statement) are re-read: the row's attributes are expired and the
    locking SELECT fills exactly those in. Re-reading the firm, agency and offering (and
    the agency's categories) under the lock guaranteed nothing more; they stay as
    loaded, or load lazily when the caller had not loaded them.
    An order already read under its lock in this transaction (``load_locked_order``) is
    not read again: no one else can have changed it since."""
    db.session.flush()
    order_id = order.id
    if order_id in db.session.info.get(_LOCKED_ORDERS, ()):
        return order
    options = [lazyload(Order.firm), lazyload(Order.agency), lazyload(Order.offering)]
    expired = list(_ORDER_COLUMNS)
    if with_quotes:
        # a quote sent after the caller first read them must be the one signed
        options.append(joinedload(Order.quotes))
        expired.append("quotes")
    db.session.expire(order, expired)
    return db.session.execute(for_update(
        select(Order).where(Order.id == order_id).options(*options),
        of=Order)).unique().scalar_one()


def _touch(order):
    order.updated_dt = now_utc()


def request_order(*, firm_member, offering, message):
    if not is_visible(offering):
        raise OfferingUnavailable()
    message = (message or "").strip()
    if len(message) < 5:
        raise ValidationFailed(_l("Tell the agency what you need in at least 5 characters."),
                               details={"field": "message"})
    order = Order(firm_id=firm_member.organisation_id, agency_id=offering.agency_id,
                  offering_id=offering.id, requested_by_id=firm_member.id, message=message,
                  status=OrderStatus.REQUESTED)
    db.session.add(order)
    db.session.flush()
    audit.record(order, "request", actor=firm_member, after=OrderStatus.REQUESTED,
                 data={"offering_id": offering.id, "agency_id": offering.agency_id})
    outbox.emit("orders.requested", order_id=order.id)
    return order


def submit_quote(order, actor, *, contract_type, contract_amount_fen, technical_amount_fen,
                 deliverables, due_date, field_code=None, today=None):
    """``field_code``: the contract's technology field; the offering's category suggests
    one when it is not given."""
    today = today or date.today()
    order = lock_order(order)
    if order.agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotActive()
    if contract_amount_fen is None or contract_amount_fen <= 0:
        raise ValidationFailed(_l("The contract amount must be positive."),
                               details={"field": "contract_amount"})
    if technical_amount_fen is None or not 0 <= technical_amount_fen <= contract_amount_fen:
        raise ValidationFailed(_l("The technical transaction amount must be between zero and "
                                  "the contract amount."),
                               details={"field": "technical_amount"})
    if due_date is None or due_date <= today:
        raise ValidationFailed(_l("The due date must be in the future."),
                               details={"field": "due_date"})
    deliverables = (deliverables or "").strip()
    if not deliverables:
        raise ValidationFailed(_l("List the deliverables."), details={"field": "deliverables"})
    field_code = (fields.require_field(field_code) if field_code
                  else fields.suggested_field(order.offering.category))
    quote = Quote(order_id=order.id, contract_type=ContractType(contract_type),
                  field_code=field_code,
                  contract_amount_fen=contract_amount_fen,
                  technical_amount_fen=technical_amount_fen, deliverables=deliverables,
                  due_date=due_date, quoted_by_id=actor.id)
    db.session.add(quote)
    db.session.flush()
    transition(order, "quote", actor=actor,
               data={"quote_id": quote.id, "contract_amount_fen": contract_amount_fen,
                     "technical_amount_fen": technical_amount_fen,
                     "contract_type": quote.contract_type.value, "field_code": field_code})
    _touch(order)
    db.session.expire(order, ["quotes"])
    outbox.emit("orders.quoted", order_id=order.id)
    return quote


def usable_vouchers(firm_id, today=None):
    """The firm's active, unexpired vouchers (for the contract form)."""
    from marketplace.vouchers.models import Voucher

    today = today or date.today()
    return db.session.execute(select(Voucher).where(
        Voucher.firm_id == firm_id, Voucher.status == VoucherStatus.ACTIVE,
        Voucher.expires_on >= today).order_by(Voucher.expires_on)).scalars().all()


def _voucher_split(order, quote, voucher_id, signed_on):
    """Lock the voucher, check it may pay for this contract, and split the amount."""
    # another firm's voucher is not locked, and answers as a missing one: the answer tells
    # no ids (the API relies on this: it reads the voucher nowhere else)
    voucher = voucher_lifecycle.lock_voucher(voucher_id, missing_ok=True,
                                             firm_id=order.firm_id)
    if voucher is None or voucher.firm_id != order.firm_id:
        raise NotFound(details={"field": "voucher_id"})
    if voucher.status != VoucherStatus.ACTIVE or voucher.expires_on < signed_on:
        raise voucher_lifecycle.VoucherNotActive()
    if signed_on < local_date(voucher.issued_dt):
        raise VoucherNotUsable(_l("A contract signed before its voucher was issued cannot use "
                                  "it."), code="contract_before_voucher")
    if not order.offering.accepts_vouchers:
        raise VoucherNotUsable(_l("This offering does not accept vouchers."),
                               code="offering_refuses_vouchers")
    rules = voucher.programme.current_rules
    if quote.contract_amount_fen < rules.min_order_fen:
        raise BelowMinimumOrder(details={"min_order_fen": rules.min_order_fen})
    category = order.offering.category
    codes = rules.category_codes
    if codes and category.code not in codes and (
            category.parent is None or category.parent.code not in codes):
        raise VoucherNotUsable(_l("The programme does not cover this service category."),
                               code="category_not_eligible")
    # Read after the voucher lock, so it is fresh. The split is advice: the ledger's
    # conditional UPDATE is what refuses overspending.
    available = funds.budget.available_fen(voucher)
    if available <= 0:
        raise voucher_lifecycle.InsufficientVoucherBalance(
            details={"voucher_id": voucher.id, "available_fen": available})
    # the tier the certification lists give on the signing day, not the firm's word
    certified = certification.tier_on(order.firm.uscc, signed_on)
    if certified is None:
        raise VoucherNotUsable(_l("The firm has no valid certificate of its tier on the "
                                  "signing day: the certification lists decide the "
                                  "voucher's share."), code="tier_not_certified")
    split = split_contract(quote.contract_amount_fen,
                           share_bp=rules.share_bp_for(certified.tier),
                           available_fen=available,
                           single_order_max_fen=rules.single_order_max_fen)
    return voucher, rules, split, certified


def sign_contract(order, actor, *, voucher_id=None, quote_id=None, today=None):
    """The firm accepts the current quote: the technology contract is made and the voucher
    part reserved (available → reserved) in the same transaction. ``quote_id``, the quote
    the firm was shown, must still be the current one (else QuoteChanged): an agency
    must not get a signature for a quote sent after the firm read its last one."""
    signed_on = today or date.today()
    order = lock_order(order, with_quotes=True)
    if order.status != OrderStatus.QUOTED:
        transition(order, "sign", actor=actor)   # refused with the state in the message
    if order.agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotActive()
    quote = order.current_quote
    if quote_id is not None and quote.id != quote_id:
        # an earlier quote of this order: replaced since the firm read it; any other id
        # names nothing the firm may sign, answered as every id in a body is
        if quote_id not in {q.id for q in order.quotes}:
            raise NotFound(details={"field": "quote_id"})
        raise QuoteChanged(details={"quote_id": quote.id})
    voucher = rules = certified = None
    voucher_part = share_bp = 0
    agency_org = order.agency.organisation
    # both parties' regulated facts are pinned as they stand now; neither may be barred
    barred.refuse_if_versions_barred(
        [order.firm.current_version_id, agency_org.current_version_id],
        [order.firm.uscc, agency_org.uscc], signed_on)
    if voucher_id is not None:
        voucher, rules, split, certified = _voucher_split(order, quote, voucher_id,
                                                          signed_on)
        voucher_part, share_bp = split.voucher_part_fen, split.share_bp
    contract = TechContract(
        number=f"HC-{signed_on.year}-{order.id:07d}", order_id=order.id, quote_id=quote.id,
        contract_type=quote.contract_type, contract_amount_fen=quote.contract_amount_fen,
        technical_amount_fen=quote.technical_amount_fen,
        voucher_id=voucher.id if voucher else None,
        rule_version_id=rules.id if rules else None, share_bp=share_bp,
        voucher_part_fen=voucher_part, copay_fen=quote.contract_amount_fen - voucher_part,
        buyer_id=order.firm_id, seller_id=order.agency_id,
        seller_district_id=agency_org.district_id, seller_in_city=order.agency.in_city,
        field_code=quote.field_code, due_date=quote.due_date, signed_on=signed_on,
        signed_by_id=actor.id, buyer_version_id=order.firm.current_version_id,
        seller_version_id=agency_org.current_version_id)
    db.session.add(contract)
    db.session.flush()
    if voucher_part:
        voucher_lifecycle.reserve(voucher, voucher_part, ref=("contract", contract.id),
                                  actor=actor, idempotency_key=f"contract-reserve:{order.id}")
    _touch(order)   # here, so the status and the time go out in one UPDATE
    transition(order, "sign", actor=actor,
               data={"contract_id": contract.id, "voucher_id": contract.voucher_id,
                     "voucher_part_fen": voucher_part, "copay_fen": contract.copay_fen,
                     "rule_version_id": contract.rule_version_id,
                     "versions": [contract.buyer_version_id, contract.seller_version_id],
                     "tier": certified.citation() if certified else None})
    # in this transaction: a signed platform contract is always registered (turnover)
    signals.contract_signed.send(contract, actor=actor)
    if contract.copay_fen == 0:
        transition(order, "pay", actor=actor, data={"copay_fen": 0})
    outbox.emit("orders.contracted", order_id=order.id)
    return contract
