"""Every money verb and outside event in random interleavings, with the books checked
after each step (Hypothesis rule-based state machine, on PostgreSQL, with the run's
localstripe as the gateway).

Two firms with a voucher each, two agencies, the bureau's people. The steps: sign a
contract, pay the co-pay (a card, or one whose 3-D Secure check is left pending), the
card holder completing the check (its news delivered or lost), a refund at the gateway
and its webhook, cancellation, delivery, acceptance, the automatic checks, first review
and final approval (with an override when a check blocks), rejection, a batch of claims
and co-pays, its payment file going out to the bank, the bank's answer (each payee paid or
failed), the treasury's payment, a voucher expiring, a recovery repaid, the nightly
reconciliation with the gateway. After every step `ledger.violations()` must be empty:
every invariant of `flask ledger verify`.

`make test` runs a short walk (HC_MONEY_EXAMPLES=3 walks of HC_MONEY_STEPS=30 steps);
`make check-reliability` a long one (thousands of steps)."""
import csv
import io
import os
from datetime import date, timedelta

import pytest
from flask import current_app
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from marketplace import funds
from marketplace.claims import (bank_files, bank_results, batch_lines, checks, disbursement,
                                services as claims)
from marketplace.claims.models import Claim, ClaimStatus, DisbursementBatch
from marketplace.core import ledger, outbox
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.orders import fulfilment, services as orders
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.payment import copay_payments, pay_copay, refresh_copay
from marketplace.payments import reconciliation
from marketplace.payments import services as payments
from marketplace.payments.models import PaymentStatus
from marketplace.vouchers import lifecycle
from marketplace.vouchers.models import Voucher
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)
from tests.support.stripe import THREE_D_SECURE_CARD, VISA

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.stripe]

EXAMPLES = int(os.environ.get("HC_MONEY_EXAMPLES", "3"))
STEPS = int(os.environ.get("HC_MONEY_STEPS", "30"))
GATEWAY = {}
REACHED = Counter()   # what the walks reached, printed at the end (pytest -s)


def event(what):
    REACHED[what] += 1


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from tests.conftest import _reset_database

        # remove(), not rollback(): the previous walk's rows must leave the identity map too,
        # or the reseeded reference rows (same ids after the reset) collide with them.
        db.session.remove()
        _reset_database(current_app._get_current_object())
        GATEWAY["server"].reset()
        self.programme = make_programme()
        self.firms = [FirmMemberFactory() for _ in range(2)]
        self.vouchers = [make_voucher(self.programme, amount_fen=200_000_00, firm_member=m).id
                         for m in self.firms]
        self.offerings = [make_offering() for _ in range(2)]
        self.auditor = staff("auditor")
        self.supervisors = [staff("supervisor"), staff("supervisor")]
        db.session.commit()
        outbox.relay_pending()
        self.orders, self.claims, self.batches, self.invoices = [], [], [], 0
        self.news_lost = False

    # --- helpers ------------------------------------------------------------------------

    def _step(self, call):
        """Run one step as a request would: commit it, or roll back a refusal; then the
        outbox runs what the step queued (tasks run in-process here)."""
        import inspect
        name = inspect.stack()[1].function
        try:
            result = call()
            db.session.commit()
            event(f"done: {name}")
        except DomainError as refused:
            db.session.rollback()
            event(f"refused: {refused.code}")
            result = None
        outbox.relay_pending()
        db.session.expire_all()
        return result

    def _order(self, data, *statuses):
        """An order, of these statuses when there is one (the walk goes on rather than
        trying steps the order's state refuses)."""
        found = db.session.query(Order).filter(Order.id.in_(self.orders))
        if statuses:
            found = found.filter(Order.status.in_(statuses))
        ids = sorted(o.id for o in found) or self.orders
        return db.session.get(Order, data.draw(st.sampled_from(ids)))

    def _claim(self, data, *statuses):
        found = db.session.query(Claim).filter(Claim.id.in_(self.claims))
        if statuses:
            found = found.filter(Claim.status.in_(statuses))
        ids = sorted(c.id for c in found) or self.claims
        return db.session.get(Claim, data.draw(st.sampled_from(ids)))

    def _firm_member(self, order):
        return next(m for m in self.firms if m.organisation_id == order.firm_id)

    # --- the firm and the agency ----------------------------------------------------------

    @rule(firm=st.integers(0, 1), agency=st.integers(0, 1),
          amount=st.sampled_from([20_000_00, 60_000_00, 240_000_00]))
    def sign(self, firm, agency, amount):
        member = self.firms[firm]

        def call():
            order = make_quoted_order(self.offerings[agency], member,
                                      contract_amount_fen=amount)
            orders.sign_contract(order, member, voucher_id=self.vouchers[firm])
            return order.id
        found = self._step(call)
        if found:
            self.orders.append(found)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), card_check=st.booleans())
    def pay(self, data, card_check):
        order = self._order(data, OrderStatus.CONTRACTED)
        card = GATEWAY["server"].card(THREE_D_SECURE_CARD) if card_check else VISA
        self._step(lambda: pay_copay(order, self._firm_member(order), payment_method=card,
                                     idempotency_key=f"m-{order.id}",
                                     commit=db.session.commit))

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), news_arrives=st.booleans())
    def card_holder_completes_the_check(self, data, news_arrives):
        order = self._order(data, OrderStatus.CONTRACTED, OrderStatus.CANCELLED)
        for payment in copay_payments(order):
            if payment.status != PaymentStatus.REQUIRES_ACTION:
                continue
            intent = GATEWAY["server"].payment_intent(payment.payment_intent_id)
            if intent["status"] == "requires_action":
                GATEWAY["server"].authenticate(intent["id"], intent["client_secret"])
        if news_arrives:
            self._step(lambda: refresh_copay(order))
        else:
            self.news_lost = True   # only the nightly reconciliation will learn of it

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), whole=st.booleans())
    def refund_at_the_gateway(self, data, whole):
        order = self._order(data, OrderStatus.PAID, OrderStatus.DELIVERED,
                            OrderStatus.ACCEPTED)
        for payment in copay_payments(order):
            if payment.refundable_fen:
                amount = None if whole else max(1, payment.refundable_fen // 2)
                GATEWAY["server"].refund(payment.payment_intent_id, amount)
                self._step(lambda: payments.refresh(payment))   # its webhook
                return

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data):
        if data.draw(st.integers(0, 2)):
            return      # a cancellation is rarer than the other steps
        order = self._order(data, OrderStatus.CONTRACTED, OrderStatus.PAID)
        firm_member = self._firm_member(order)
        agency_member = order.offering.agency.organisation.members[0]

        def call():
            fulfilment.request_cancellation(order, firm_member, "需求变更，取消")
            if order.cancel_requested_by:
                fulfilment.answer_cancellation(order, agency_member, agree=True)
        self._step(call)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def deliver_and_accept(self, data):
        order = self._order(data, OrderStatus.PAID)
        self.invoices += 1
        agency_member = order.offering.agency.organisation.members[0]

        def call():
            fulfilment.deliver(order, agency_member, summary="交付",
                               invoice_number=f"SM-{self.invoices:06d}",
                               invoice_amount_fen=order.contract.contract_amount_fen,
                               invoice_date=date.today())
            claim = fulfilment.accept(order, self._firm_member(order))
            return claim.id if claim else None
        found = self._step(call)
        if found:
            self.claims.append(found)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def advance(self, data):
        """The order's next step on the usual path, so walks reach claims, batches and
        payouts as often as refunds and cancellations (the other rules interleave)."""
        order = self._order(data)
        if order.status == OrderStatus.CONTRACTED:
            self.pay(data, card_check=False)
        elif order.status == OrderStatus.PAID:
            self.deliver_and_accept(data)
        elif order.status == OrderStatus.ACCEPTED:
            claim = db.session.query(Claim).filter_by(order_id=order.id).one_or_none()
            if claim is not None and claim.status in (ClaimStatus.SUBMITTED,
                                                      ClaimStatus.FIRST_REVIEW):
                self.review(data, "approve")
            elif claim is None or claim.status == ClaimStatus.APPROVED:
                self.batch(data)
        for batch in db.session.query(DisbursementBatch).filter(
                DisbursementBatch.status == "open").limit(1):
            if data.draw(st.booleans()):
                self._step(lambda: disbursement.mark_paid(batch, self.supervisors[0],
                                                          "国库"))

    # --- the bureau -------------------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), decision=st.sampled_from(["approve", "approve", "reject"]))
    def review(self, data, decision):
        claim = self._claim(data, ClaimStatus.SUBMITTED, ClaimStatus.FIRST_REVIEW)

        def call():
            found = claims.start_checks(claim.id)
            if found.status.value == "checking":
                for name in checks.CHECKS:
                    claims.run_check(found.id, found.check_round, name)
            found = db.session.get(Claim, claim.id)
            found.assigned_auditor_id = self.auditor.id
            if found.is_blocked and claims.override_of(found) is None:
                claims.override_block(found, self.supervisors[1],
                                      "证据显示关联关系已解除，准予继续审核")
            claims.decide(found, self.auditor, decision, "审核意见：材料齐全")
            if decision == "approve":
                claims.decide(found, self.supervisors[0], "approve")
        self._step(call)

    @precondition(lambda self: self.claims or self.orders)
    @rule(data=st.data())
    def batch(self, data):
        payable = [c.id for c in db.session.execute(disbursement.payable_claims()).scalars()]
        copays = [o.id for o, _fen in disbursement.settleable_copays()]
        if not payable and not copays:
            return
        chosen = data.draw(st.lists(st.sampled_from(payable), unique=True,
                                    min_size=1)) if payable else []
        chosen_copays = data.draw(st.lists(st.sampled_from(copays), unique=True,
                                           min_size=0 if chosen else 1)) if copays else []
        found = self._step(lambda: disbursement.create_batch(
            self.supervisors[0], chosen, chosen_copays).id)
        if found:
            self.batches.append(found)

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def treasury_pays(self, data):
        open_ones = [b.id for b in db.session.query(DisbursementBatch).filter(
            DisbursementBatch.status == "open")] or self.batches
        batch = db.session.get(DisbursementBatch, data.draw(st.sampled_from(open_ones)))
        was_open = batch.status.value == "open"
        paid = self._step(lambda: disbursement.mark_paid(batch, self.supervisors[0], "国库").id)
        # an open batch is always payable: a refusal there is a batch stuck for good
        assert paid is not None or not was_open, f"open batch {batch.id} could not be paid"

    @precondition(lambda self: self.batches)
    @rule(data=st.data(), bank_file=st.booleans())
    def payment_file_goes_out(self, data, bank_file):
        """The first export sends the batch to the bank: from then on refunds and voids
        wait for its answer instead of changing the lines."""
        open_ones = [b.id for b in db.session.query(DisbursementBatch).filter(
            DisbursementBatch.status == "open")]
        if not open_ones:
            return
        batch = db.session.get(DisbursementBatch, data.draw(st.sampled_from(open_ones)))
        export = bank_files.export if bank_file else disbursement.export
        self._step(lambda: export(batch, self.supervisors[0], "csv")[1])

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def bank_answers(self, data):
        """The bank's result file for a batch at the bank, each payee paid or failed: it
        answers the file the bank was sent, so it is always taken."""
        sent = [b.id for b in db.session.query(DisbursementBatch).filter(
            DisbursementBatch.status == "open", DisbursementBatch.sent_dt.is_not(None))]
        if not sent:
            return
        batch = db.session.get(DisbursementBatch, data.draw(st.sampled_from(sent)))
        rows = bank_files.transfers(batch)
        if not rows:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["参考号", "状态", "金额", "银行流水号"])
        for number, row in enumerate(rows):
            paid = data.draw(st.booleans())
            writer.writerow([row.reference, "成功" if paid else "失败",
                             f"{row.amount_fen // 100}.{row.amount_fen % 100:02d}",
                             f"ICBC-{batch.id}-{number}" if paid else ""])
        answered = self._step(lambda: bank_results.import_result(
            batch, self.supervisors[0], out.getvalue().encode(), "回单.csv")[1])
        assert answered is not None, f"the bank's answer for batch {batch.id} was refused"

    @precondition(lambda self: len(self.claims) >= 3)   # late in a walk, as in a year
    @rule(firm=st.integers(0, 1))
    def voucher_expires(self, firm):
        def call():
            voucher = lifecycle.lock_voucher(self.vouchers[firm])
            if voucher.status.value == "active":
                voucher.expires_on = date.today() - timedelta(days=1)
                lifecycle.expire(voucher)
        self._step(call)

    @precondition(lambda self: self.batches)
    @rule()
    def agency_repays(self):
        for recovery in funds.recoveries.outstanding():
            # as the recoveries page records it: open batches deducting it are renetted
            self._step(lambda: batch_lines.record_repayment(
                recovery.id, recovery.outstanding_fen, actor=self.supervisors[0],
                reference="银行回单"))
            return

    @precondition(lambda self: self.news_lost)
    @rule()
    def nightly_reconciliation(self):
        self._step(lambda: reconciliation.reconcile())
        self.news_lost = False

    def teardown(self):
        """What the walk reached, for `--hypothesis-show-statistics`."""
        db.session.rollback()
        for claim in db.session.query(Claim):
            event(f"claim {claim.status.value}")
        for batch in db.session.query(DisbursementBatch):
            event(f"batch {batch.status.value}")
        for recovery in db.session.query(funds.models.Recovery):
            event(f"recovery {recovery.kind.value} {recovery.status.value}")
        if any(not funds.copay.is_allocated(p.id) and p.is_paid
               for p in db.session.query(payments.Payment)):
            event("a charge paid for nothing")

    @invariant()
    def the_books_state_the_facts(self):
        db.session.rollback()
        found = ledger.violations()
        assert found == [], "\n".join(found)


@pytest.fixture
def gateway(stripe_server):
    GATEWAY["server"] = stripe_server
    yield stripe_server
    GATEWAY.clear()


def test_random_interleavings_of_money_verbs_keep_the_books_sound(gateway):
    MoneyMachine.TestCase.settings = settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=False,
        suppress_health_check=list(HealthCheck), database=None)
    REACHED.clear()
    MoneyMachine.TestCase().runTest()
    print("\nthe walks reached:", ", ".join(f"{k} ×{v}" for k, v in sorted(REACHED.items())))
