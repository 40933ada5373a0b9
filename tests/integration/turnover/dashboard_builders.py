"""Registrations for the dashboard's tests, made through the registration services (an
original, then amendments and cancellations as further rows), and a bulk generator of
many realistic rows for the statement-count, export and browser tests."""
import itertools
import random
from datetime import date

from sqlalchemy import insert, select

from marketplace.accounts.models import District
from marketplace.core.states import transition
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.models import (ContractRegistration, RegistrationKind,
                                         RegistrationSource, RegistrationStatus)
from marketplace.turnover.registry import registration

_numbers = itertools.count(1)
FIELDS = ("electronic_information", "advanced_manufacturing", "biomedicine",
          "new_materials", "new_energy", "agriculture")


def districts(count=None):
    found = db.session.execute(select(District).order_by(District.sort_order,
                                                         District.id)).scalars().all()
    return found[:count] if count else found


def register(*, on, contract_fen, technical_fen=None, kind="development", district=None,
             in_city=True, field="electronic_information", seller="洪城技术转移中心",
             voucher=False, source=RegistrationSource.IMPORT, number=None,
             buyer_district=None):
    """An original registration (confirmed unless ``source`` is manual: then pending)."""
    return registration.register_original(
        contract_number=number or f"2026360100{next(_numbers):06d}",
        contract_type=ContractType(kind), contract_amount_fen=contract_fen,
        technical_amount_fen=contract_fen if technical_fen is None else technical_fen,
        buyer_name="南昌测试买方有限公司", seller_name=seller, seller_in_city=in_city,
        buyer_district_id=buyer_district.id if buyer_district is not None else None,
        seller_district_id=(district.id if district is not None and in_city else None),
        field_code=field, signed_on=on, registered_on=on, source=source,
        voucher_funded=voucher)


def amend(original, *, on, contract_delta, technical_delta, source=RegistrationSource.IMPORT):
    return registration.register_adjustment(
        original.contract_number, kind=RegistrationKind.AMENDMENT,
        contract_delta_fen=contract_delta, technical_delta_fen=technical_delta,
        source=source, registered_on=on)


def cancel(original, *, on, source=RegistrationSource.IMPORT):
    return registration.register_adjustment(
        original.contract_number, kind=RegistrationKind.CANCELLATION, contract_delta_fen=0,
        technical_delta_fen=0, source=source, registered_on=on)


def reject(row, auditor):
    transition(row, "reject", actor=auditor, data={"reason": "材料不全"})
    row.rejection_reason = "材料不全"
    db.session.flush()
    return row


def mixed_registry(year, auditor):
    """Two years, several districts, every type, amendments, cancellations, pending and
    rejected rows and out-of-city sellers: everything the figures must get right."""
    d1, d2, d3 = districts(3)
    rows = {}
    rows["a"] = register(on=date(year, 1, 10), contract_fen=500_000_00,
                         technical_fen=400_000_00, district=d1, seller="甲技术转移中心")
    rows["b"] = register(on=date(year, 2, 3), contract_fen=1_200_000_00,
                         technical_fen=1_000_000_00, kind="transfer", district=d2,
                         field="biomedicine", voucher=True, seller="乙大学技术转移中心")
    rows["c"] = register(on=date(year, 3, 21), contract_fen=80_000_00, kind="consulting",
                         district=d1, field="new_materials", voucher=True,
                         seller="甲技术转移中心")
    rows["d"] = register(on=date(year, 5, 5), contract_fen=300_000_00,
                         technical_fen=250_000_00, kind="service", district=d3,
                         field="agriculture", seller="丙研究院")
    rows["e"] = register(on=date(year, 6, 30), contract_fen=2_000_000_00,
                         technical_fen=1_500_000_00, kind="licensing", district=d2,
                         seller="丁科技有限公司")
    # amended down in a later month, amended up once more, then one cancelled
    amend(rows["a"], on=date(year, 4, 2), contract_delta=-100_000_00,
          technical_delta=-50_000_00)
    amend(rows["b"], on=date(year, 7, 9), contract_delta=200_000_00,
          technical_delta=100_000_00)
    cancel(rows["d"], on=date(year, 8, 15))
    # a contract of last year cancelled this year: it lowers this year's figures
    rows["old"] = register(on=date(year - 1, 11, 11), contract_fen=700_000_00,
                           technical_fen=600_000_00, district=d1, seller="甲技术转移中心")
    register(on=date(year - 1, 3, 3), contract_fen=900_000_00, technical_fen=800_000_00,
             kind="transfer", district=d2)
    cancel(rows["old"], on=date(year, 2, 20))
    # never counted: pending, rejected, out of the city, another year
    register(on=date(year, 3, 3), contract_fen=5_000_000_00, district=d1,
             source=RegistrationSource.MANUAL)
    reject(register(on=date(year, 4, 4), contract_fen=7_000_000_00, district=d2,
                    source=RegistrationSource.MANUAL), auditor)
    register(on=date(year, 5, 6), contract_fen=9_000_000_00, in_city=False,
             seller="外地研究院")
    register(on=date(year + 1, 1, 6), contract_fen=4_000_000_00, district=d3)
    # a pending amendment of a confirmed contract does not count either
    amend(rows["e"], on=date(year, 9, 1), contract_delta=-1_000_000_00,
          technical_delta=-1_000_000_00, source=RegistrationSource.MANUAL)
    db.session.flush()
    return rows


def bulk_registrations(count, year, *, seed=7, district_ids=None, sellers=40,
                       previous_year_share=0.0):
    """``count`` confirmed originals spread over the year (and, with
    ``previous_year_share``, the year before), inserted in one executemany."""
    rng = random.Random(seed)
    district_ids = district_ids or [d.id for d in districts()]
    kinds = [k for k in ContractType]
    weights = [30, 12, 8, 20, 30]
    names = [f"第{i + 1}技术转移服务机构" for i in range(sellers)]
    rows, start = [], next(_numbers) * 1_000_000
    for i in range(count):
        this_year = rng.random() >= previous_year_share
        row_year = year if this_year else year - 1
        month = min(12, max(1, int(rng.triangular(1, 13, 11))))
        day = rng.randint(1, 28)
        contract = int(rng.lognormvariate(13.5, 1.2)) * 100 + 5_000_00
        technical = contract * rng.randint(60, 100) // 100
        in_city = rng.random() > 0.05
        rows.append(dict(
            contract_number=f"B{start + i:012d}", sequence=0,
            kind=RegistrationKind.ORIGINAL, source=RegistrationSource.IMPORT,
            status=RegistrationStatus.CONFIRMED,
            contract_type=rng.choices(kinds, weights)[0], contract_amount_fen=contract,
            technical_amount_fen=technical, buyer_name=f"买方企业{rng.randint(1, 500)}",
            seller_name=rng.choice(names), seller_in_city=in_city,
            seller_district_id=rng.choice(district_ids) if in_city else None,
            field_code=rng.choice(FIELDS), signed_on=date(row_year, month, day),
            registered_on=date(row_year, month, day), registered_year=row_year,
            registered_month=month, voucher_funded=rng.random() < 0.12))
    db.session.execute(insert(ContractRegistration), rows)
    db.session.flush()
    return count
