"""What the fraud fixture's cases are built with: firms with a voucher, admitted
agencies with an offering, facts and people changed as an approved request would change
them, contracts signed, paid, delivered and accepted through the real services, invoices
registered by the registry import, entries of the integrity list.

Kept cheaper than the factories' full paths where the path is not what is measured: an
agency is admitted by inserting its registry row (the registry's own tests cover
admission), every case shares one programme."""
import io
import itertools
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.agencies.models import AgencyProfile, AgencyStatus, AgencyType, ServiceCategory
from marketplace.catalogue import services as catalogue
from marketplace.claims import checks
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.integrity import barred
from marketplace.orders import fulfilment
from marketplace.orders import services as orders
from marketplace.turnover.imports.importer import import_file
from marketplace.vouchers import services as vouchers
from tests.support.copay import record_paid_copay
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, make_application,
                             make_programme, staff)
from tests.integration.turnover.registry_builders import HEADER_ZH, csv_bytes, good_rows
from tests.support.identity import change_facts, person, resident_id

AMOUNT = 100_000_00          # a case's contract amount; its voucher pays half
SINGLE_ORDER_MAX = 60_000_00


def full_width(text):
    """Digits and Latin letters as their full-width forms (what a disguise types)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def fifteen(number):
    """The 15-digit (before 1999) form of an 18-digit resident identity number."""
    return number[:6] + number[8:17]


class Outcome:
    """What building a case left: the claims to check, and a step refused on the way."""

    def __init__(self, claims=(), refused=None):
        self.claims = list(claims)
        self.refused = refused


class World:
    def __init__(self):
        self.auditor = staff("auditor")
        self.programme = make_programme(budget_fen=500_000_000_00,
                                        rules={"single_order_max_fen": SINGLE_ORDER_MAX})
        self.category_id = db.session.execute(select(ServiceCategory.id).where(
            ServiceCategory.code == "testing")).scalar_one()
        self.serials = itertools.count(1000)
        self.invoices = itertools.count(1)
        self.numbers = {}        # identity hash -> the number as a case typed it

    def serial(self):
        return next(self.serials)

    # --- the parties -----------------------------------------------------------------

    def firm(self, backdated_days=0):
        """A firm with a ¥200,000 voucher (issued ``backdated_days`` ago)."""
        member = FirmMemberFactory()
        application = make_application(self.programme, member, requested_fen=200_000_00)
        voucher = vouchers.decide_application(application, actor=self.auditor,
                                              decision="approve")
        if backdated_days:
            voucher.issued_dt = now_utc() - timedelta(days=backdated_days)
        member.voucher = voucher
        return member

    def agency(self, price_fen=AMOUNT, **offering):
        """An admitted agency and its offering (fixed at ``price_fen``, or on quotation)."""
        member = AgencyMemberFactory()
        now = now_utc()
        profile = AgencyProfile(organisation_id=member.organisation_id,
                                status=AgencyStatus.ADMITTED,
                                agency_type=AgencyType.LOCAL_INTERMEDIARY, in_city=True,
                                introduction="检验检测服务", staff_count=10,
                                qualified_staff_count=5, staff_qualifications="工程师",
                                years_in_operation=5, fee_schedule="按项目报价",
                                submitted_dt=now, admitted_dt=now, status_changed_dt=now)
        db.session.add(profile)
        db.session.flush()
        model = "fixed" if price_fen else "quotation"
        member.offering = catalogue.create_offering(
            profile, member, title="材料检测服务", category_id=self.category_id,
            description="依据国家标准开展材料成分与性能检测。", deliverables="检测报告",
            price_model=model, price_fen=price_fen,
            guide_min_fen=offering.get("guide_min_fen"),
            guide_max_fen=offering.get("guide_max_fen"), typical_duration_days=10,
            accepts_vouchers=True)
        return member

    def facts(self, member, people=None, **facts):
        """The party's next version, as an approved change request makes it."""
        return change_facts(member.organisation, people_list=people, **facts)

    def people(self, member):
        from marketplace.accounts import versions
        return versions.proposal_of(member.organisation.current_version)["people"]

    def representative_number(self, member):
        return resident_id(member.organisation.id)

    def with_person(self, member, role, name, number, **extra):
        """The party's people with one more (``number``: an identity number as written)."""
        added = person(role, name, id_number=number, **extra)
        self.numbers[added["id_number_hash"]] = number
        return self.facts(member, people=self.people(member) + [added])

    # --- contracts and claims ---------------------------------------------------------

    def contract(self, firm, agency, amount=AMOUNT, signed_days_ago=0):
        order = orders.request_order(firm_member=firm, offering=agency.offering,
                                     message="请按报价提供检测服务")
        orders.submit_quote(order, agency, contract_type="service", contract_amount_fen=amount,
                            technical_amount_fen=amount, deliverables="检测报告",
                            due_date=date.today() + timedelta(days=30))
        signed_on = date.today() - timedelta(days=signed_days_ago)
        return orders.sign_contract(order, firm, voucher_id=firm.voucher.id, today=signed_on)

    def invoice(self):
        return f"3600{next(self.invoices):04d}"

    def deliver(self, contract, invoice):
        order = contract.order
        record_paid_copay(order)
        fulfilment.deliver(order, order.offering.agency.organisation.members[0],
                           summary="交付检测报告", invoice_number=invoice,
                           invoice_amount_fen=contract.contract_amount_fen,
                           invoice_date=contract.signed_on)

    def claim(self, contract, invoice=None):
        self.deliver(contract, invoice or self.invoice())
        return fulfilment.accept(contract.order, contract.order.firm.members[0])

    def deal(self, firm=None, agency=None, amount=AMOUNT, invoice=None, signed_days_ago=0):
        firm = firm or self.firm(backdated_days=signed_days_ago + 10 if signed_days_ago
                                 else 0)
        agency = agency or self.agency()
        return self.claim(self.contract(firm, agency, amount, signed_days_ago), invoice)

    def register_invoice(self, number):
        """A contract registered by the registry import, naming ``number`` as its invoice."""
        rows = [row + [number] for row in good_rows(1, prefix=f"FX{self.serial()}")]
        import_file(io.BytesIO(csv_bytes(rows, HEADER_ZH + ["发票号码"])), "registry.csv",
                    self.auditor)

    def bar_organisation(self, organisation, **dates):
        return barred.add_entry(self.auditor, subject="organisation", name=organisation.name,
                                uscc=organisation.uscc, reason="虚报冒领财政补助资金",
                                source="信用中国（江西）",
                                listed_from=dates.get("listed_from", date(2025, 1, 1)),
                                listed_to=dates.get("listed_to"))

    def bar_person(self, name, number, **dates):
        return barred.add_entry(self.auditor, subject="person", name=name,
                                id_kind="resident_id", id_number=number, reason="学术不端",
                                source="科研诚信信息系统",
                                listed_from=dates.get("listed_from", date(2025, 1, 1)),
                                listed_to=dates.get("listed_to"))


def results(claim):
    """{check name: result value} of every check on the claim as it stands now."""
    found = {}
    for name, check in checks.CHECKS.items():
        result, _evidence = check(claim)
        found[name] = result.value
    return found
