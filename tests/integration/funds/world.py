"""Orders and claims whose money moves for real: the co-pay charged by the run's
localstripe through the app's own payment code, the claim checked and decided through
the claim services, batches created and paid through disbursement."""
import itertools
from datetime import date

from marketplace.claims import checks, disbursement, services as claims
from marketplace.claims.models import Claim
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.orders import fulfilment, services as orders
from marketplace.orders.payment import copay_payments, pay_copay
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher, staff)
from tests.support.stripe import VISA

_invoices = itertools.count(1)


class World:
    """One programme, a firm with a voucher, an agency's offering, the bureau's people."""

    def __init__(self, voucher_fen=200_000_00, programme=None):
        self.programme = programme or make_programme()
        self.firm_member = FirmMemberFactory()
        self.voucher = make_voucher(self.programme, amount_fen=voucher_fen,
                                    firm_member=self.firm_member)
        self.offering = make_offering()
        self.agency_member = self.offering.agency.organisation.members[0]
        self.agency_id = self.offering.agency_id
        self.auditor = staff("auditor")
        self.supervisor = staff("supervisor")
        db.session.commit()

    def contracted(self, amount_fen=100_000_00):
        order = make_quoted_order(self.offering, self.firm_member,
                                  contract_amount_fen=amount_fen)
        orders.sign_contract(order, self.firm_member, voucher_id=self.voucher.id)
        db.session.commit()
        return order

    def paid(self, amount_fen=100_000_00, card=VISA):
        order = self.contracted(amount_fen)
        result = pay_copay(order, self.firm_member, payment_method=card,
                           idempotency_key=f"k-{order.id}", commit=db.session.commit)
        db.session.commit()
        assert result.status == "succeeded", result
        return order

    def accepted(self, order):
        fulfilment.deliver(order, self.agency_member, summary="交付检测报告",
                           invoice_number=f"MF-{next(_invoices):05d}",
                           invoice_amount_fen=order.contract.contract_amount_fen,
                           invoice_date=date.today())
        claim = fulfilment.accept(order, self.firm_member)
        db.session.commit()
        outbox._committed_ids.set(None)   # the notices are not what is tested
        return claim

    def checked(self, claim):
        """The claim's checks run here and now; its auditor is ours."""
        claim = claims.start_checks(claim.id)
        for name in checks.CHECKS:
            claims.run_check(claim.id, claim.check_round, name)
        claim = db.session.get(Claim, claim.id)
        claim.assigned_auditor_id = self.auditor.id
        db.session.commit()
        return claim

    def approved(self, claim):
        claim = self.checked(claim)
        claims.decide(claim, self.auditor, "approve", "材料齐全")
        claims.decide(claim, self.supervisor, "approve")
        db.session.commit()
        outbox._committed_ids.set(None)
        return db.session.get(Claim, claim.id)

    def batch(self, claims=(), copay_orders=()):
        batch = disbursement.create_batch(self.supervisor, [c.id for c in claims],
                                          [o.id for o in copay_orders])
        db.session.commit()
        return batch

    def payment_of(self, order):
        return copay_payments(order)[0]
