"""The business facts the books must state, checked by `flask ledger verify` (and after
every test): beyond "every transaction sums to zero", what each claim, order, payment,
voucher and agency's money must add up to. Each returns readable sentences, empty when
sound; each is proved to catch its violation in tests/reliability/test_ledger_invariants.py.

They are set-based (a few statements each, whatever the number of rows) so the check
stays cheap enough to run after every test."""
import re
from collections import defaultdict

from sqlalchemy import func, select

from marketplace.claims.models import (BankOutcome, BankResult, BatchStatus, Claim,
                                       ClaimStatus, DisbursementBatch, DisbursementLine,
                                       LineKind, LineStatus)
from marketplace.core import ledger
from marketplace.core.ledger import LedgerAccount, LedgerPosting, LedgerTransaction
from marketplace.extensions import db
from marketplace.funds import accounts, figures, kinds
from marketplace.funds.copay import positions
from marketplace.funds.models import Recovery, RecoveryKind, RecoveryStatus
from marketplace.orders.models import Order, TechContract
from marketplace.payments.models import PAID_STATUSES, Payment
from marketplace.vouchers.budget_use import budget_figures
from marketplace.vouchers.models import Programme, Voucher, VoucherStatus

invariant = ledger.invariant


def _per_reference(ref_type, kind_list, account_kind=None, sign=None):
    """{ref_id: fen moved} by transactions of ``kind_list`` referring to ``ref_type``:
    half the absolute legs (a transfer), or the signed sum on accounts of one kind."""
    amount = func.sum(LedgerPosting.amount_fen)
    query = (select(LedgerTransaction.ref_id, LedgerTransaction.kind,
                    func.sum(func.abs(LedgerPosting.amount_fen)) / 2 if account_kind is None
                    else amount)
             .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
             .where(LedgerTransaction.ref_type == ref_type,
                    LedgerTransaction.kind.in_(kind_list)))
    if account_kind is not None:
        query = query.join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id) \
            .where(LedgerAccount.kind == account_kind)
    found = defaultdict(dict)
    for ref_id, kind, total in db.session.execute(
            query.group_by(LedgerTransaction.ref_id, LedgerTransaction.kind)):
        found[ref_id][kind] = int(total or 0) * (sign or 1)
    return found


@invariant
def claims_move_once_and_never_pay_more_than_approved():
    """No claim approved, paid, clawed back or recovered twice; net payout per claim ≤
    approved − clawed back; a voided or rejected claim paid nothing net and nothing of it
    is still owed to the agency; a claim's status and its postings agree."""
    problems = []
    once = [(kind, ref_type) for kind, ref_type in kinds.ONCE_PER_REFERENCE]
    for kind, ref_type, ref_id, count in db.session.execute(
            select(LedgerTransaction.kind, LedgerTransaction.ref_type,
                   LedgerTransaction.ref_id, func.count(LedgerTransaction.id))
            .where(LedgerTransaction.kind.in_([k for k, _r in once]))
            .group_by(LedgerTransaction.kind, LedgerTransaction.ref_type,
                      LedgerTransaction.ref_id)
            .having(func.count(LedgerTransaction.id) > 1)):
        if (kind, ref_type) in once:
            problems.append(f"{ref_type} {ref_id} has {count} {kind} transactions")
    flows = _per_reference("claim", [kinds.CLAIM_APPROVAL, kinds.CLAWBACK, kinds.DISBURSEMENT,
                                     kinds.CLAIM_RECOVERY_DUE])
    statuses = dict(db.session.execute(select(Claim.id, Claim.status)).all())
    for claim_id in set(flows) | set(statuses):
        moved = flows.get(claim_id, {})
        approved, clawed = moved.get(kinds.CLAIM_APPROVAL, 0), moved.get(kinds.CLAWBACK, 0)
        paid, recovered = moved.get(kinds.DISBURSEMENT, 0), moved.get(kinds.CLAIM_RECOVERY_DUE, 0)
        net_payout = paid - recovered
        status = statuses.get(claim_id)
        owed = approved - clawed - paid
        if paid > approved:
            problems.append(f"claim {claim_id} paid {paid} fen but approved {approved} fen")
        if net_payout > approved - clawed:
            problems.append(f"claim {claim_id} paid out {net_payout} fen net but approved "
                            f"{approved} fen less {clawed} fen clawed back")
        if status in (ClaimStatus.VOIDED, ClaimStatus.REJECTED):
            if net_payout:
                problems.append(f"{status.value} claim {claim_id} paid out {net_payout} fen "
                                "net")
            if owed:
                problems.append(f"{status.value} claim {claim_id} still owes the agency "
                                f"{owed} fen")
        elif status == ClaimStatus.APPROVED and (owed <= 0 or paid):
            problems.append(f"claim {claim_id} is approved but the books show {owed} fen owed "
                            f"and {paid} fen paid")
        elif status == ClaimStatus.DISBURSED and (not paid or owed or recovered):
            problems.append(f"claim {claim_id} is disbursed but the books show {paid} fen "
                            f"paid, {owed} fen still owed, {recovered} fen recovered")
        elif status not in (ClaimStatus.APPROVED, ClaimStatus.DISBURSED, ClaimStatus.VOIDED,
                            ClaimStatus.REJECTED) and (approved or paid):
            state = status.value if status else "missing"
            problems.append(f"claim {claim_id} is {state} but the books show {approved} fen "
                            f"approved and {paid} fen paid")
    return problems


@invariant
def programmes_never_over_issued():
    """Pool + issued − returned = budget, for every programme; never over-issued."""
    problems = []
    for programme in db.session.execute(select(Programme)).scalars():
        money = budget_figures(programme)
        issued, returned = money["issued_fen"], money["expired_fen"]
        if money["available_fen"] + issued - returned != money["budget_fen"]:
            problems.append(
                f"programme {programme.id}: pool {money['available_fen']} + issued {issued}"
                f" - returned {returned} != budget {money['budget_fen']}")
        if issued - returned > money["budget_fen"]:
            problems.append(f"programme {programme.id} is over-issued")
    return problems


@invariant
def vouchers_add_up():
    """available + reserved + spent + expired = face value for every voucher, and an
    expired or revoked voucher holds nothing it could still spend."""
    balances = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(LedgerAccount.balance_fen))
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    outflows = dict(db.session.execute(
        select(LedgerAccount.owner_id, func.sum(figures.voucher_flow()))
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerAccount.owner_type == "voucher")
        .group_by(LedgerAccount.owner_id)).all())
    available = dict(db.session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.balance_fen)
        .where(LedgerAccount.kind == accounts.VOUCHER_AVAILABLE)).all())
    problems = []
    for voucher_id, face_value, status in db.session.execute(
            select(Voucher.id, Voucher.face_value_fen, Voucher.status)):
        if voucher_id not in balances:
            problems.append(f"voucher {voucher_id} has no ledger accounts")
            continue
        total = int(balances[voucher_id]) + int(outflows.get(voucher_id) or 0)
        if total != face_value:
            problems.append(f"voucher {voucher_id}: available + reserved + spent + expired "
                            f"= {total} != face value {face_value}")
        if status != VoucherStatus.ACTIVE and available.get(voucher_id):
            problems.append(f"{status.value} voucher {voucher_id} still holds "
                            f"{available[voucher_id]} fen available")
    return problems


_PAYMENT_KEY = re.compile(r"^(?:copay-received|unallocated-received):payment:(\d+)$")
_REFUND_KEY = re.compile(r"^(?:copay-refund|unallocated-refund):payment:(\d+):")


@invariant
def every_charge_is_booked_once():
    """Every succeeded payment has exactly one receipt posting of its amount (to an
    order's co-pay or to the unallocated account), and no other payment has one; every
    refund the gateway confirmed is booked, no more."""
    problems = []
    receipts = defaultdict(list)
    refunds = defaultdict(int)
    for key, total in db.session.execute(
            select(LedgerTransaction.idempotency_key,
                   func.sum(func.abs(LedgerPosting.amount_fen)))
            .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
            .where(LedgerTransaction.kind.in_([kinds.COPAY_RECEIVED, kinds.UNALLOCATED_RECEIVED,
                                               kinds.COPAY_REFUND, kinds.UNALLOCATED_REFUND,
                                               kinds.COPAY_RECOVERY_DUE]))
            .group_by(LedgerTransaction.id, LedgerTransaction.idempotency_key)):
        if (found := _PAYMENT_KEY.match(key or "")):
            receipts[int(found.group(1))].append(int(total) // 2)
        elif (found := _REFUND_KEY.match(key or "")):
            # a recovery's posting has four legs: the refund is half of half of them
            legs = 4 if key.endswith(":recovery") else 2
            refunds[int(found.group(1))] += int(total) // legs
        else:
            problems.append(f"a co-pay posting names no payment (key {key!r})")
    for payment_id, status, amount, refunded in db.session.execute(
            select(Payment.id, Payment.status, Payment.amount_fen, Payment.refunded_fen)):
        booked = receipts.pop(payment_id, [])
        if status in PAID_STATUSES:
            if booked != [amount]:
                problems.append(f"payment {payment_id} ({status.value}, {amount} fen) has "
                                f"receipts {booked}")
        elif booked:
            problems.append(f"payment {payment_id} is {status.value} but has receipts {booked}")
        if refunds.pop(payment_id, 0) != refunded:
            problems.append(f"payment {payment_id}: the gateway refunded {refunded} fen but "
                            "the books show otherwise")
    problems += [f"receipt for unknown payment {pid}" for pid in receipts]
    problems += [f"refund for unknown payment {pid}" for pid in refunds]
    return problems


@invariant
def copays_add_up():
    """Per order: what its co-pay account holds is what came in less what was settled and
    refunded from it; no order received more than its co-pay; no agency was paid more of
    an order's co-pay than was settled to it."""
    problems = []
    copays = dict(db.session.execute(select(TechContract.order_id, TechContract.copay_fen)).all())
    held_accounts = {owner_id: int(balance) for owner_id, balance in db.session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.balance_fen)
        .where(LedgerAccount.kind == accounts.COPAY_HELD))}
    order_ids = list(set(copays) | set(held_accounts))
    for order_id, position in positions(order_ids).items():
        if held_accounts.get(order_id, 0) != position.held:
            problems.append(f"order {order_id} holds {held_accounts.get(order_id, 0)} fen of "
                            f"co-pay but received {position.received} less settled "
                            f"{position.settled} and refunded makes {position.held}")
        if position.received > copays.get(order_id, 0):
            problems.append(f"order {order_id} received {position.received} fen for a co-pay "
                            f"of {copays.get(order_id, 0)} fen")
        if position.payable < 0:
            problems.append(f"order {order_id}: {position.paid_out} fen of co-pay paid out "
                            f"but only {position.settled} fen settled less "
                            f"{position.refunded_from_payable} fen refunded")
    return problems


@invariant
def agency_payables_match_what_is_owed():
    """Per agency: its voucher payable is its approved, unpaid claims; its co-pay payable
    its accepted, unpaid co-pays; its recoveries account what it still owes back; and
    the platform's advances and unallocated money are what recoveries and refunds still
    owe."""
    problems = []
    balances = defaultdict(dict)
    for kind, owner_id, code, balance in db.session.execute(
            select(LedgerAccount.kind, LedgerAccount.owner_id, LedgerAccount.code,
                   LedgerAccount.balance_fen)
            .where(LedgerAccount.kind.in_([accounts.AGENCY_PAYABLE,
                                           accounts.AGENCY_COPAY_PAYABLE,
                                           accounts.AGENCY_RECOVERIES,
                                           accounts.GATEWAY_ADVANCES,
                                           accounts.GATEWAY_UNALLOCATED]))):
        balances[kind][owner_id] = int(balance)
    approved = dict(db.session.execute(
        select(Claim.agency_id, func.sum(Claim.amount_fen))
        .where(Claim.status == ClaimStatus.APPROVED).group_by(Claim.agency_id)).all())
    for agency_id in set(approved) | set(balances[accounts.AGENCY_PAYABLE]):
        if balances[accounts.AGENCY_PAYABLE].get(agency_id, 0) != int(approved.get(agency_id, 0)):
            problems.append(f"agency {agency_id}'s voucher payable is "
                            f"{balances[accounts.AGENCY_PAYABLE].get(agency_id, 0)} fen but "
                            f"its approved unpaid claims make {approved.get(agency_id, 0)} fen")
    agency_of = dict(db.session.execute(select(Order.id, Order.agency_id)).all())
    due = defaultdict(int)
    for order_id, position in positions(list(agency_of)).items():
        due[agency_of[order_id]] += position.payable
    for agency_id in set(due) | set(balances[accounts.AGENCY_COPAY_PAYABLE]):
        if balances[accounts.AGENCY_COPAY_PAYABLE].get(agency_id, 0) != due.get(agency_id, 0):
            problems.append(f"agency {agency_id}'s co-pay payable is "
                            f"{balances[accounts.AGENCY_COPAY_PAYABLE].get(agency_id, 0)} fen "
                            f"but its accepted unpaid co-pays make {due.get(agency_id, 0)} fen")
    owed = defaultdict(int)
    copay_owed = 0
    for agency_id, kind, amount, collected in db.session.execute(
            select(Recovery.agency_id, Recovery.kind, Recovery.amount_fen,
                   Recovery.collected_fen)):
        owed[agency_id] += amount - collected
        if kind == RecoveryKind.COPAY:
            copay_owed += amount - collected
    for agency_id in set(owed) | set(balances[accounts.AGENCY_RECOVERIES]):
        if balances[accounts.AGENCY_RECOVERIES].get(agency_id, 0) != owed.get(agency_id, 0):
            problems.append(f"agency {agency_id} owes {owed.get(agency_id, 0)} fen back by its "
                            f"recoveries but its account shows "
                            f"{balances[accounts.AGENCY_RECOVERIES].get(agency_id, 0)} fen")
    advanced = -sum(balances[accounts.GATEWAY_ADVANCES].values())
    if advanced != copay_owed:
        problems.append(f"the platform advanced {advanced} fen of refunds but co-pay "
                        f"recoveries owe {copay_owed} fen")
    unrefunded = int(db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_fen - Payment.refunded_fen), 0))
        .where(Payment.status.in_(PAID_STATUSES),
               Payment.id.in_(_unallocated_payment_ids()))).scalar_one())
    unallocated = sum(balances[accounts.GATEWAY_UNALLOCATED].values())
    if unallocated != unrefunded:
        problems.append(f"the unallocated account holds {unallocated} fen but charges that pay "
                        f"for nothing still hold {unrefunded} fen")
    return problems


def _unallocated_payment_ids():
    return select(LedgerTransaction.ref_id).where(
        LedgerTransaction.kind == kinds.UNALLOCATED_RECEIVED,
        LedgerTransaction.ref_type == "payment")


@invariant
def batches_add_up():
    """A batch's total is its live lines (payouts less deductions); a paid batch paid
    every live line; no claim is in a batch it has no live line in."""
    problems = []
    lines = defaultdict(list)
    for line in db.session.execute(select(DisbursementLine).where(
            DisbursementLine.status != LineStatus.REMOVED)).scalars():
        lines[line.batch_id].append(line)
    for batch in db.session.execute(select(DisbursementBatch)).scalars():
        live = lines.get(batch.id, [])
        total = sum(line.signed_amount_fen for line in live)
        if total != batch.total_fen or len(live) != batch.line_count:
            problems.append(f"batch {batch.id} says {batch.total_fen} fen in "
                            f"{batch.line_count} lines but its lines make {total} fen in "
                            f"{len(live)}")
        wrong = [line.id for line in live
                 if (line.status == LineStatus.PAID) != (batch.status == BatchStatus.PAID)]
        if wrong:
            problems.append(f"{batch.status.value} batch {batch.id} has lines {wrong} "
                            "in another state")
    in_lines = {line.claim_id: line.batch_id for live in lines.values() for line in live
                if line.kind == LineKind.VOUCHER_PART}
    for claim_id, batch_id in db.session.execute(
            select(Claim.id, Claim.disbursement_batch_id)
            .where(Claim.disbursement_batch_id.is_not(None))):
        if in_lines.get(claim_id) != batch_id:
            problems.append(f"claim {claim_id} names batch {batch_id} but has no live line "
                            "there")
    return problems


@invariant
def bank_answers_hold():
    """Every line of a batch matches the bank's answer for its payee: a line the bank did
    not pay (failed, returned) left the batch, a line it paid is paid; a result's counts
    are the payees it answered."""
    problems = []
    answered = defaultdict(lambda: defaultdict(set))
    for line in db.session.execute(select(DisbursementLine).where(
            DisbursementLine.bank_outcome.is_not(None))).scalars():
        paid = line.bank_outcome == BankOutcome.PAID
        if paid != (line.status == LineStatus.PAID) or \
                (not paid and line.status != LineStatus.REMOVED):
            problems.append(f"line {line.id} is {line.status.value} but the bank answered "
                            f"{line.bank_outcome.value}")
        answered[line.bank_result_id][paid].add(line.agency_id)
    for result in db.session.execute(select(BankResult)).scalars():
        paid, unpaid = (len(answered[result.id][True]), len(answered[result.id][False]))
        if (paid, unpaid) != (result.paid_count, result.failed_count):
            problems.append(f"bank result {result.id} counts {result.paid_count} paid and "
                            f"{result.failed_count} not paid but its lines make {paid} and "
                            f"{unpaid}")
    return problems


@invariant
def recoveries_add_up():
    """A recovery's collected figure is its collections; a collected one owes nothing."""
    problems = []
    for recovery in db.session.execute(select(Recovery)).scalars():
        collected = sum(c.amount_fen for c in recovery.collections)
        if collected != recovery.collected_fen:
            problems.append(f"recovery {recovery.id} says {recovery.collected_fen} fen "
                            f"collected but its collections make {collected} fen")
        if (recovery.status == RecoveryStatus.COLLECTED) != (collected == recovery.amount_fen):
            problems.append(f"recovery {recovery.id} is {recovery.status.value} with "
                            f"{collected} of {recovery.amount_fen} fen collected")
    return problems
