"""What the books must state about claims, their batches and the agencies they pay,
checked by `flask ledger verify` (registered with funds' ``invariant``; see
marketplace/funds/invariants.py).

The agencies' payables are here: the voucher payable is claims' money, and this is the
lowest domain that sees all of what an agency is owed (claims, orders' co-pays, payments'
unallocated charges)."""
import json
from collections import defaultdict

from sqlalchemy import func, select

from marketplace.claims.models import (BankOutcome, BankResult, BatchStatus, Claim,
                                       ClaimStatus, DisbursementBatch, DisbursementLine,
                                       LineKind, LineStatus)
from marketplace.core.audit import AuditRecord
from marketplace.extensions import db
from marketplace.funds import accounts, kinds
from marketplace.funds.copay import positions
from marketplace.funds.invariants import (balances_by_owner, invariant, per_reference,
                                          repeated_transactions, unallocated_payment_ids)
from marketplace.funds.models import (CollectionMethod, Recovery, RecoveryCollection,
                                      RecoveryKind)
from marketplace.orders.models import Order, TechContract
from marketplace.payments.models import PAID_STATUSES, Payment


@invariant
def claims_move_once_and_never_pay_more_than_approved():
    """No claim approved, paid, clawed back or recovered twice; net payout per claim ≤
    approved − clawed back; a voided or rejected claim paid nothing net and nothing of it
    is still owed to the agency; a claim's status and its postings agree."""
    problems = repeated_transactions()
    flows = per_reference("claim", [kinds.CLAIM_APPROVAL, kinds.CLAWBACK, kinds.DISBURSEMENT,
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
def agency_payables_match_what_is_owed():
    """Per agency: its voucher payable is its approved, unpaid claims; its co-pay payable
    its accepted, unpaid co-pays; its recoveries account what it still owes back; and
    the platform's advances and unallocated money are what recoveries and refunds still
    owe."""
    problems = []
    balances = balances_by_owner([accounts.AGENCY_PAYABLE, accounts.AGENCY_COPAY_PAYABLE,
                                  accounts.AGENCY_RECOVERIES, accounts.GATEWAY_ADVANCES,
                                  accounts.GATEWAY_UNALLOCATED])
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
               Payment.id.in_(unallocated_payment_ids()))).scalar_one())
    unallocated = sum(balances[accounts.GATEWAY_UNALLOCATED].values())
    if unallocated != unrefunded:
        problems.append(f"the unallocated account holds {unallocated} fen but charges that pay "
                        f"for nothing still hold {unrefunded} fen")
    return problems


@invariant
def reservations_are_the_contracts_waiting():
    """Per contract: what it still holds reserved on its voucher (reserved at signing, less
    what its cancellation released, what its claim's approval took net of a clawback, and
    what its claim's rejection or voiding released) is its voucher part while it waits
    for its money (not cancelled, its claim not yet approved, rejected or voided), and
    nothing after; a reservation left behind holds money nobody can spend."""
    settled = (ClaimStatus.APPROVED, ClaimStatus.DISBURSED, ClaimStatus.REJECTED,
               ClaimStatus.VOIDED)
    by_contract = per_reference("contract", [kinds.RESERVE, kinds.RELEASE])
    by_claim = per_reference("claim", [kinds.CLAIM_APPROVAL, kinds.CLAWBACK, kinds.RELEASE])
    problems = []
    for contract_id, voucher_id, part, cancelled, claim_id, status in db.session.execute(
            select(TechContract.id, TechContract.voucher_id, TechContract.voucher_part_fen,
                   TechContract.is_cancelled, Claim.id, Claim.status)
            .outerjoin(Claim, Claim.contract_id == TechContract.id)
            .where(TechContract.voucher_part_fen > 0)):
        signed, claimed = by_contract.get(contract_id, {}), by_claim.get(claim_id, {})
        held = (signed.get(kinds.RESERVE, 0) - signed.get(kinds.RELEASE, 0)
                - claimed.get(kinds.CLAIM_APPROVAL, 0) + claimed.get(kinds.CLAWBACK, 0)
                - claimed.get(kinds.RELEASE, 0))
        waiting = part if not cancelled and status not in settled else 0
        if held != waiting:
            problems.append(f"contract {contract_id} holds {held} fen reserved on voucher "
                            f"{voucher_id} but waits for {waiting} fen")
    return problems


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
    return problems + _paid_lines_moved_their_money(
        [line for live in lines.values() for line in live if line.status == LineStatus.PAID])


def _paid_lines_moved_their_money(paid):
    """A line marked paid is a status; the money is the postings: a paid voucher part's
    claim was disbursed, an order's paid co-pay lines are what was paid out of its co-pay,
    a recovery's paid deductions are what batches collected of it."""
    problems = []
    statuses = dict(db.session.execute(select(Claim.id, Claim.status).where(
        Claim.id.in_([line.claim_id for line in paid if line.claim_id]))).all())
    copay_lines, deducted = defaultdict(int), defaultdict(int)
    for line in paid:
        if line.kind == LineKind.VOUCHER_PART and statuses.get(line.claim_id) not in (
                ClaimStatus.DISBURSED, ClaimStatus.VOIDED):
            problems.append(f"line {line.id} is paid but claim {line.claim_id} is "
                            f"{statuses[line.claim_id].value}")
        elif line.kind == LineKind.COPAY:
            copay_lines[line.order_id] += line.amount_fen
        elif line.kind == LineKind.RECOVERY:
            deducted[line.recovery_id] += line.amount_fen
    # a line the bank paid whole after part of it went back to the firm paid that part
    # as an advance the agency owes back (copay.paid_at_bank)
    paid_out = {order_id: moved.get(kinds.COPAY_PAYOUT, 0) + moved.get(
                    kinds.COPAY_PAID_AT_BANK, 0) for order_id, moved in
                per_reference("order", [kinds.COPAY_PAYOUT, kinds.COPAY_PAID_AT_BANK]).items()}
    for order_id in set(copay_lines) | set(paid_out):
        if copay_lines.get(order_id, 0) != paid_out.get(order_id, 0):
            problems.append(f"order {order_id}'s paid co-pay lines make "
                            f"{copay_lines.get(order_id, 0)} fen but "
                            f"{paid_out.get(order_id, 0)} fen of its co-pay was paid out")
    collected = dict(db.session.execute(
        select(RecoveryCollection.recovery_id, func.sum(RecoveryCollection.amount_fen))
        .where(RecoveryCollection.method == CollectionMethod.NETTED)
        .group_by(RecoveryCollection.recovery_id)).all())
    for recovery_id in set(deducted) | set(collected):
        if deducted.get(recovery_id, 0) != int(collected.get(recovery_id, 0)):
            problems.append(f"recovery {recovery_id}'s paid deduction lines make "
                            f"{deducted.get(recovery_id, 0)} fen but batches collected "
                            f"{int(collected.get(recovery_id, 0))} fen of it")
    return problems


@invariant
def sent_batches_pay_what_their_file_said():
    """Once a batch's payment file went out, the bank pays that file: the batch's lines
    stay as they were (a refund or a void afterwards waits for the bank's answer), so what
    it paid, plus what the bank's answer took out, is the total the file said, and each
    payee's part of it is what the file gave that payee (kept in the audit record of the
    first export, which the audit chain protects)."""
    problems = []
    said = dict(db.session.execute(select(DisbursementBatch.id, DisbursementBatch.sent_total_fen)
                                   .where(DisbursementBatch.sent_total_fen.is_not(None))).all())
    if not said:
        return problems
    kept, kept_by_payee = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for line in db.session.execute(select(DisbursementLine).where(
            DisbursementLine.batch_id.in_(list(said)))).scalars():
        if line.status != LineStatus.REMOVED or line.bank_outcome is not None:
            kept[line.batch_id] += line.signed_amount_fen
            kept_by_payee[line.batch_id][line.agency_id] += line.signed_amount_fen
    for batch_id, total in sorted(said.items()):
        if kept[batch_id] != total:
            problems.append(f"batch {batch_id}'s bank file said {total} fen but its lines "
                            f"now make {kept[batch_id]} fen: it changed after the file went "
                            "out")
    for batch_id, payees in _payees_when_sent(said).items():
        now = {agency_id: fen for agency_id, fen in kept_by_payee[batch_id].items() if fen}
        if now != payees:
            moved = sorted(agency_id for agency_id in set(now) | set(payees)
                           if now.get(agency_id, 0) != payees.get(agency_id, 0))
            problems.append(f"batch {batch_id}'s bank file gave its payees {payees} fen but "
                            f"its lines now give {now} fen (agencies {moved} changed after "
                            "the file went out)")
    return problems


def _payees_when_sent(batch_ids):
    """{batch id: {agency id: fen}} as the first export of each batch recorded them (a
    batch marked sent by the migration, before the exports recorded it, has none)."""
    found = {}
    for object_id, data in db.session.execute(
            select(AuditRecord.object_id, AuditRecord.data)
            .where(AuditRecord.object_type == "DisbursementBatch",
                   AuditRecord.action == "export",
                   AuditRecord.object_id.in_([str(batch_id) for batch_id in batch_ids]))
            .order_by(AuditRecord.id)):
        payees = json.loads(data).get("payees")
        if payees is not None and int(object_id) not in found:
            found[int(object_id)] = {int(agency_id): fen for agency_id, fen in payees.items()
                                     if fen}
    return found


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
