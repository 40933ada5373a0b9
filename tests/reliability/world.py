"""The data the load test fires at: one programme whose budget is shared by every voucher
and by more voucher applications than it can still fund; firms whose one voucher is
drawn on by more contracts than it covers; orders waiting for their co-pay; claims at
first review, at final approval and approved (for a disbursement). Built through the real
services, committed, with an API token per person.

Sizes scale with ``firms``; the amounts are derived here, never assumed by the code under
test (the voucher pays 50 % of a contract by the programme's default rules).
"""
import itertools
from dataclasses import dataclass, field
from datetime import date

from marketplace.accounts import services as accounts
from marketplace.claims import services as claims
from marketplace.extensions import db
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from marketplace.vouchers import budget_use
from marketplace.vouchers import services as vouchers
from tests.support.copay import record_paid_copay
from tests.factories import (FirmMemberFactory, make_application, make_offering,
                             make_programme, make_quoted_order, make_voucher, staff)
from tests.integration.claims.builders import checked, quiet

CONTRACT_FEN = 20_000_00          # ¥20,000 a contract: ¥10,000 voucher part, ¥10,000 co-pay
APPLICATION_FEN = 100_000_00      # each late applicant asks for ¥100,000

PAYING, AT_FIRST_REVIEW, AT_FINAL, APPROVED = 2, 2, 2, 2
TO_SIGN, SIGNABLE = 6, 4          # six contracts try a voucher with room for four

_invoices = itertools.count(1)


@dataclass
class Firm:
    member: object
    token: str
    voucher_id: int
    to_sign: list = field(default_factory=list)        # order ids, quoted
    to_pay: list = field(default_factory=list)         # order ids, contracted
    first_review: list = field(default_factory=list)   # claim ids
    final: list = field(default_factory=list)          # claim ids
    approved: list = field(default_factory=list)       # claim ids


@dataclass
class World:
    programme_id: int
    voucher_part_fen: int
    firms: list
    auditor_token: str
    supervisor_tokens: list
    applications: list          # (application id, firm token)
    fundable_applications: int
    tokens: dict = field(default_factory=dict)


def plaintext_token(user):
    _, plaintext = accounts.issue_api_token(user, "load test")
    return plaintext


def _claim(firm_member, voucher, offering, auditor):
    order = make_quoted_order(offering, firm_member, contract_amount_fen=CONTRACT_FEN)
    contract = orders.sign_contract(order, firm_member, voucher_id=voucher.id)
    record_paid_copay(order)
    agency_member = offering.agency.organisation.members[0]
    fulfilment.deliver(order, agency_member, summary="交付检测报告",
                       invoice_number=f"LOAD-{next(_invoices):06d}",
                       invoice_amount_fen=CONTRACT_FEN, invoice_date=date.today())
    claim = checked(fulfilment.accept(order, firm_member))
    claim.assigned_auditor_id = auditor.id
    return claim


def build(firms=8, late_applicants=6):
    auditor, supervisors = staff("auditor"), [staff("supervisor"), staff("supervisor")]
    offering = make_offering()
    units = PAYING + AT_FIRST_REVIEW + AT_FINAL + APPROVED + SIGNABLE
    part = CONTRACT_FEN // 2
    face = units * part
    fundable = max(1, late_applicants // 2)
    programme = make_programme(budget_fen=firms * face + fundable * APPLICATION_FEN)
    db.session.commit()
    built = []
    for _ in range(firms):
        member = FirmMemberFactory()
        voucher = make_voucher(programme, amount_fen=face, auditor=auditor,
                               firm_member=member)
        firm = Firm(member, plaintext_token(member), voucher.id)
        for _ in range(PAYING):
            order = make_quoted_order(offering, member, contract_amount_fen=CONTRACT_FEN)
            orders.sign_contract(order, member, voucher_id=voucher.id)
            firm.to_pay.append(order.id)
        for target, count in ((firm.first_review, AT_FIRST_REVIEW), (firm.final, AT_FINAL),
                              (firm.approved, APPROVED)):
            for _ in range(count):
                claim = _claim(member, voucher, offering, auditor)
                if target is not firm.first_review:
                    claims.decide(claim, auditor, "approve", "材料齐全")
                if target is firm.approved:
                    claims.decide(claim, supervisors[0], "approve")
                target.append(claim.id)
        firm.to_sign = [make_quoted_order(offering, member, contract_amount_fen=CONTRACT_FEN).id
                        for _ in range(TO_SIGN)]
        db.session.commit()
        quiet()
        built.append(firm)
    applications = []
    for _ in range(late_applicants):
        member = FirmMemberFactory()
        application = make_application(programme, member, requested_fen=APPLICATION_FEN)
        applications.append((application.id, plaintext_token(member)))
    world = World(programme.id, part, built, plaintext_token(auditor),
                  [plaintext_token(s) for s in supervisors], applications, fundable)
    db.session.commit()
    quiet()
    assert budget_use.budget_figures(programme)  # the programme reads back
    return world
