"""Reading the registry: the filtered list (pages, the API), a contract's history."""
import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from marketplace.core.normalise import typed_id, whole_number
from marketplace.orders.models import ContractType
from marketplace.turnover import permissions as perms
from marketplace.turnover.models import (ContractRegistration, RegistrationSource,
                                         RegistrationStatus)


UNCONFIRMED = "unconfirmed"
FIELD_ARGUMENT = re.compile(r"[a-z0-9_]{1,40}")


@dataclass
class RegistryFilter:
    year: int | None = None
    contract_type: str = ""
    district: str = ""          # a district id, "outside", or "" for all
    source: str = ""
    status: str = ""
    q: str = ""
    field: str = ""             # a technology field's code, or "unconfirmed"

    @classmethod
    def from_args(cls, args):
        def text(name):
            return str(args.get(name) or "").strip()

        def choice(name, allowed):
            value = text(name)
            return value if value in allowed else ""

        year = text("year")
        district = text("district")
        return cls(
            year=whole_number(year, 1990, 2100),
            contract_type=choice("type", {t.value for t in ContractType}),
            district=district if typed_id(district) or district == "outside"
            else "",
            source=choice("source", {s.value for s in RegistrationSource}),
            status=choice("status", {s.value for s in RegistrationStatus}),
            q=text("q")[:100],
            field=text("field") if FIELD_ARGUMENT.fullmatch(text("field")) else "")

    def as_args(self):
        found = {"year": self.year, "type": self.contract_type, "district": self.district,
                 "source": self.source, "status": self.status, "q": self.q,
                 "field": self.field}
        return {key: value for key, value in found.items() if value}


def registry_query(user, flt):
    """Every registration row the user may see that matches the filter, newest first."""
    row = ContractRegistration
    query = select(row)
    if not perms.is_bureau(user):
        org = user.organisation_id if user is not None else None
        query = query.where(or_(row.buyer_org_id == org, row.seller_org_id == org))
    if flt.year:
        query = query.where(row.registered_year == flt.year)
    if flt.contract_type:
        query = query.where(row.contract_type == ContractType(flt.contract_type))
    if flt.district == "outside":
        query = query.where(row.seller_in_city.is_(False))
    elif flt.district:
        query = query.where(row.seller_district_id == int(flt.district))
    if flt.source:
        query = query.where(row.source == RegistrationSource(flt.source))
    if flt.status:
        query = query.where(row.status == RegistrationStatus(flt.status))
    if flt.field == UNCONFIRMED:
        query = query.where(row.field_unconfirmed.is_(True))
    elif flt.field:
        query = query.where(row.field_code == flt.field)
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") \
            + "%"
        query = query.where(or_(row.contract_number.ilike(pattern, escape="\\"),
                                row.buyer_name.ilike(pattern, escape="\\"),
                                row.seller_name.ilike(pattern, escape="\\")))
    return query.order_by(row.registered_on.desc(), row.id.desc())


def counted_now(row):
    """What the row adds to the turnover now: its change once confirmed, else nothing."""
    if row.status == RegistrationStatus.CONFIRMED:
        return row.contract_amount_fen, row.technical_amount_fen
    return 0, 0


def history_view(rows):
    """[(row, contract counted, technical counted, running contract, running technical)]"""
    found = []
    total_contract = total_technical = 0
    for row in rows:
        contract, technical = counted_now(row)
        total_contract += contract
        total_technical += technical
        found.append((row, contract, technical, total_contract, total_technical))
    return found
