"""Bulk data for the benchmarks: organisations, members and API tokens inserted with
executemany (the factories' one-object-at-a-time flushes would take minutes at 100,000).
Runs inside an app context of the benchmark's own database."""
import itertools
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, insert, select
from werkzeug.security import generate_password_hash

from marketplace.accounts import identity_numbers, uscc
from marketplace.accounts.models import (ApiToken, District, FirmTier, Organisation,
                                         OrganisationKind, Role, User)
from marketplace.accounts.version_models import OrganisationVersion, VersionPerson
from marketplace.integrity.models import CertificationEntry, CertificationSource
from marketplace.core import normalise
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

_serial = itertools.count(1)
PASSWORD = "bench-password-1"
_HASH = {}


def password_hash():
    if not _HASH:
        _HASH["h"] = generate_password_hash(PASSWORD)
    return _HASH["h"]


def district_ids():
    return db.session.execute(select(District.id).order_by(District.id)).scalars().all()


def organisations(n, kind, *, tier=FirmTier.TECH_SME, batch=5000):
    """``n`` organisations with distinct credit codes and related-party keys; their ids."""
    districts = district_ids()
    now = now_utc()
    label = "企业" if kind == OrganisationKind.FIRM else "技术转移机构"
    ids = []
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            serial = next(_serial)
            rep, address = f"法人{kind.value}{serial}", f"南昌市测试路{kind.value}{serial}号"
            phone, bank = f"0791-{kind.value[:1]}{serial:09d}", f"6222{serial:015d}"
            rows.append(dict(
                kind=kind, name=f"基准{label}{serial}有限公司",
                uscc=uscc.make(f"91360{8 if kind == OrganisationKind.FIRM else 9}"
                               f"{serial:011d}"),
                legal_representative=rep, registered_address=address, contact_phone=phone,
                bank_account=bank, district_id=districts[i % len(districts)],
                firm_tier=tier if kind == OrganisationKind.FIRM else None, created_dt=now,
                legal_representative_key=normalise.name_key(rep),
                registered_address_key=normalise.address_key(address),
                contact_phone_key=normalise.phone_key(phone),
                bank_account_key=normalise.digits_key(bank)))
        made = db.session.execute(insert(Organisation).returning(Organisation.id),
                                  rows).scalars().all()
        _first_versions(made, rows, now)
        ids += made
    return ids


def _first_versions(ids, rows, now):
    """Version 1 of each organisation (its legal representative with an identity number)
    and, for a firm, its certificate on the lists: what registration would have made."""
    from datetime import date, timedelta

    version_ids = db.session.execute(insert(OrganisationVersion).returning(
        OrganisationVersion.id), [dict(
            organisation_id=org_id, number=1, source="registration", name=row["name"],
            uscc=row["uscc"], legal_representative=row["legal_representative"],
            registered_address=row["registered_address"], district_id=row["district_id"],
            contact_phone=row["contact_phone"], bank_account=row["bank_account"],
            bank_name="中国工商银行南昌分行", bank_cnaps_code="102421000011",
            firm_tier=row["firm_tier"], name_key=normalise.name_key(row["name"]),
            address_key=row["registered_address_key"], phone_key=row["contact_phone_key"],
            bank_account_key=row["bank_account_key"], created_dt=now)
            for org_id, row in zip(ids, rows)]).scalars().all()
    people = []
    for org_id, version_id, row in zip(ids, version_ids, rows):
        first17 = f"360102{1950 + org_id % 50}0101{org_id % 1000:03d}"
        number = first17 + normalise.resident_id_check(first17)
        people.append(dict(version_id=version_id, position=0, role="legal_representative",
                           name=row["legal_representative"],
                           name_key=row["legal_representative_key"], id_kind="resident_id",
                           id_number_hash=identity_numbers.number_hash(f"{number}{org_id}"),
                           id_number_masked=identity_numbers.masked(number)))
    db.session.execute(insert(VersionPerson), people)
    db.session.execute(
        Organisation.__table__.update().where(
            Organisation.__table__.c.id == bindparam("org_id"))
        .values(current_version_id=bindparam("version_id")),
        [{"org_id": o, "version_id": v} for o, v in zip(ids, version_ids)])
    firms = [(org_id, row) for org_id, row in zip(ids, rows) if row["firm_tier"]]
    if firms:
        db.session.execute(insert(CertificationEntry), [dict(
            tier=row["firm_tier"], uscc=row["uscc"], organisation_name=row["name"],
            certificate_number=f"BENCH{org_id}", valid_from=date.today() - timedelta(days=365),
            valid_to=date.today() + timedelta(days=3 * 365), source=CertificationSource.LIST,
            created_dt=now) for org_id, row in firms])


def members(organisation_ids, role, *, tokens=True, batch=5000):
    """One owner per organisation (or one staff user per None); returns
    [(user_id, token)]."""
    now = now_utc()
    out = []
    for start in range(0, len(organisation_ids), batch):
        chunk = organisation_ids[start:start + batch]
        rows = []
        for org_id in chunk:
            serial = next(_serial)
            rows.append(dict(email=f"bench{serial}@bench.local", name=f"用户{serial}",
                             password_hash=password_hash(), role=role,
                             organisation_id=org_id, is_owner=org_id is not None,
                             is_active_account=True, locale="zh", session_version=1,
                             created_dt=now))
        user_ids = db.session.execute(insert(User).returning(User.id), rows).scalars().all()
        plain = [None] * len(user_ids)
        if tokens:
            plain = ["hc_" + secrets.token_urlsafe(24) for _ in user_ids]
            db.session.execute(insert(ApiToken), [
                dict(user_id=uid, name="bench", token_hash=ApiToken.hash_token(t),
                     prefix=t[:10], created_dt=now, expires_dt=now + timedelta(days=30))
                for uid, t in zip(user_ids, plain)])
        out += list(zip(user_ids, plain))
    return out


def firm_members(n, **kwargs):
    """``n`` firms with an owner each: [(org_id, user_id, token)]."""
    orgs = organisations(n, OrganisationKind.FIRM, **kwargs)
    return [(org, uid, tok) for org, (uid, tok) in zip(orgs, members(orgs, Role.FIRM_MEMBER))]


def staff(role):
    (user_id, token), = members([None], Role(role))
    return db.session.get(User, user_id), token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def agency_profiles(org_ids, status="admitted", **fields):
    """Registry entries for agency organisations, in ``status``."""
    from datetime import timedelta

    from marketplace.agencies.models import AgencyProfile, AgencyStatus
    now = now_utc()
    db.session.execute(insert(AgencyProfile), [dict(dict(
        organisation_id=org, status=AgencyStatus(status), in_city=True,
        introduction="本机构提供检验检测与技术咨询服务。", staff_count=20, qualified_staff_count=8,
        staff_qualifications="高级工程师5名", years_in_operation=6, fee_schedule="按项目报价",
        is_broker=False, submitted_dt=now, notice_opened_dt=now,
        notice_ends_dt=now + timedelta(days=7), admitted_dt=now, status_changed_dt=now,
        created_dt=now, updated_dt=now), **fields) for org in org_ids])


def offerings(agency_ids, n, *, category_code="testing", needs_check=False,
              title="材料检测服务"):
    """``n`` published offerings spread over ``agency_ids``, with the search terms
    catalogue.services.reindex would store."""
    from marketplace.agencies.models import ServiceCategory
    from marketplace.catalogue import search
    from marketplace.catalogue.models import Offering, OfferingStatus, PriceModel
    category = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code == category_code)).scalar_one()
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(agency_ids))).all())
    now = now_utc()
    description = "依据国家标准开展金属与高分子材料的成分、性能检测。"
    rows = []
    for i in range(n):
        agency = agency_ids[i % len(agency_ids)]
        text = f"{title}{i}"
        rows.append(dict(
            agency_id=agency, category_id=category.id, title=text, description=description,
            deliverables="检测报告", price_model=PriceModel.FIXED, price_fen=8_000_00,
            price_low_fen=8_000_00, price_high_fen=8_000_00, typical_duration_days=10,
            accepts_vouchers=True, status=OfferingStatus.PUBLISHED, needs_check=needs_check,
            created_dt=now, updated_dt=now, search_title=search.index_terms(text),
            search_body=search.index_terms(description, "检测报告", category.name_zh,
                                           category.name_en, names[agency])))
    return db.session.execute(insert(Offering).returning(Offering.id), rows).scalars().all()
