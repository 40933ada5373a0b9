"""factory_boy factories writing through the app's session (flushed, not committed)."""
import itertools

import factory
from werkzeug.security import generate_password_hash

from marketplace.accounts import uscc
from marketplace.accounts.models import (District, FirmTier, Organisation, OrganisationKind,
                                         Role, User)
from marketplace.extensions import db

TEST_PASSWORD = "password123"
_HASHES = {}


def password_hash(password=TEST_PASSWORD):
    # Hash once per run: the real scrypt hash is deliberately slow.
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


_codes = itertools.count(1)


def next_credit_code():
    return uscc.make(f"9136010{next(_codes):010d}")


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


def any_district():
    return db.session.query(District).order_by(District.id).first()


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.FIRM
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    uscc = factory.LazyFunction(next_credit_code)
    legal_representative = factory.Sequence(lambda n: f"法人{n}")
    registered_address = factory.Sequence(lambda n: f"南昌市东湖区测试路{n}号")
    contact_phone = factory.Sequence(lambda n: f"0791-{n:08d}")
    bank_account = factory.Sequence(lambda n: f"62220202{n:011d}")
    district = factory.LazyFunction(any_district)
    firm_tier = factory.LazyAttribute(
        lambda o: FirmTier.TECH_SME if o.kind == OrganisationKind.FIRM else None)

    @factory.post_generation
    def keys(obj, create, extracted, **kwargs):
        obj.refresh_keys()
        if create:
            from tests.support.identity import give_first_version

            db.session.flush()
            give_first_version(obj)


class FirmFactory(OrganisationFactory):
    kind = OrganisationKind.FIRM


class AgencyFactory(OrganisationFactory):
    kind = OrganisationKind.AGENCY
    name = factory.Sequence(lambda n: f"测试技术转移机构{n}")


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyFunction(password_hash)
    role = Role.AUDITOR
    is_owner = False
    locale = "zh"


class FirmMemberFactory(UserFactory):
    role = Role.FIRM_MEMBER
    organisation = factory.SubFactory(FirmFactory)
    is_owner = True


class AgencyMemberFactory(UserFactory):
    role = Role.AGENCY_MEMBER
    organisation = factory.SubFactory(AgencyFactory)
    is_owner = True


def staff(role):
    return UserFactory(role=Role(role))


def make_programme(budget_fen=50_000_000_00, actor=None, rules=None, **dates):
    """An open programme (window around today) with the default rules."""
    from datetime import date, timedelta

    from marketplace.vouchers import services

    today = date.today()
    return services.create_programme(
        actor=actor, name=dates.pop("name", f"Programme {next(_codes)}"), year=today.year,
        budget_fen=budget_fen,
        applications_open_on=dates.pop("opens", today - timedelta(days=30)),
        applications_close_on=dates.pop("closes", today + timedelta(days=30)),
        vouchers_valid_until=dates.pop("valid_until", today + timedelta(days=365)),
        rules=rules)


def make_application(programme, firm_member=None, requested_fen=100_000_00, **kwargs):
    from marketplace.vouchers import services

    member = firm_member or FirmMemberFactory()
    return services.apply_for_voucher(
        firm=member.organisation, applicant=member, programme=programme,
        requested_fen=requested_fen, purpose=kwargs.pop("purpose", "检测服务与工艺改进"),
        declares_no_double_funding=kwargs.pop("declares", True), **kwargs)


def make_voucher(programme=None, amount_fen=100_000_00, auditor=None, firm_member=None):
    from marketplace.vouchers import services

    programme = programme or make_programme()
    application = make_application(programme, firm_member, requested_fen=amount_fen)
    return services.decide_application(application, actor=auditor or staff("auditor"),
                                       decision="approve")


# --- the agency registry and the catalogue ----------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_agency_profile(member=None, status="admitted", *, in_city=True, agency_type=None,
                        category_codes=("testing",), licence_expires_on=None, **fields):
    """An agency (its owner ``member``) with a complete application, driven through the
    real services to ``status``: draft, submitted, public_notice, admitted, suspended,
    removed. Returns the profile."""
    import io
    from datetime import date, timedelta

    from sqlalchemy import select

    from marketplace.agencies import services
    from marketplace.agencies.models import AgencyType, DocumentKind, ServiceCategory
    from marketplace.core.timeutil import now_utc

    member = member or AgencyMemberFactory()
    auditor = fields.pop("auditor", None) or staff("auditor")
    profile = services.profile_of(member.organisation)
    categories = db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code.in_(category_codes))).scalars().all()
    services.update_profile(
        profile, member, category_ids=categories,
        agency_type=AgencyType(agency_type or "local_intermediary"), in_city=in_city,
        home_city=None if in_city else fields.pop("home_city", "武汉"),
        introduction=fields.pop("introduction", "本机构提供检验检测与技术咨询服务，服务南昌企业。"),
        staff_count=fields.pop("staff_count", 20),
        qualified_staff_count=fields.pop("qualified_staff_count", 8),
        staff_qualifications=fields.pop("staff_qualifications", "高级工程师5名，专利代理师3名"),
        years_in_operation=fields.pop("years_in_operation", 6),
        fee_schedule=fields.pop("fee_schedule", "按项目报价，常规检测每项¥800起"))
    services.add_document(
        profile, member, kind=DocumentKind.BUSINESS_LICENCE, title="营业执照",
        expires_on=licence_expires_on or date.today() + timedelta(days=3 * 365),
        stream=io.BytesIO(PDF_BYTES), original_name="licence.pdf")
    if status == "draft":
        return profile
    services.submit(profile, member)
    if status == "submitted":
        return profile
    services.decide(profile, auditor, "approve")
    if status == "public_notice":
        return profile
    services.conclude_notice(profile, auditor, at=now_utc() + timedelta(days=30))
    if status == "suspended":
        services.suspend(profile, auditor, "资质核查")
    elif status == "removed":
        services.remove(profile, auditor, "严重违规")
    return profile


def make_offering(profile=None, *, title="材料检测服务", category_code="testing",
                  price_fen=8_000_00, actor=None, **fields):
    """A published offering of an admitted agency (made if not given)."""
    from sqlalchemy import select

    from marketplace.agencies.models import ServiceCategory
    from marketplace.catalogue import services

    profile = profile or make_agency_profile()
    actor = actor or profile.organisation.members[0]
    category_id = db.session.execute(select(ServiceCategory.id).where(
        ServiceCategory.code == category_code)).scalar_one()
    price_model = fields.pop("price_model", "fixed" if price_fen else "quotation")
    return services.create_offering(
        profile, actor, title=title, category_id=category_id,
        description=fields.pop("description", "依据国家标准开展金属与高分子材料的成分、性能检测。"),
        deliverables=fields.pop("deliverables", "检测报告（CMA盖章）"),
        price_model=price_model, price_fen=price_fen if price_model == "fixed" else None,
        guide_min_fen=fields.pop("guide_min_fen", None),
        guide_max_fen=fields.pop("guide_max_fen", None),
        typical_duration_days=fields.pop("typical_duration_days", 10),
        accepts_vouchers=fields.pop("accepts_vouchers", True))


def make_quoted_order(offering=None, firm_member=None, *, contract_amount_fen=100_000_00,
                      technical_amount_fen=None, contract_type="service", due_in_days=30):
    """An order of ``offering`` by ``firm_member`` with the agency's quote."""
    from datetime import date, timedelta

    from marketplace.orders import services

    offering = offering or make_offering()
    firm_member = firm_member or FirmMemberFactory()
    order = services.request_order(firm_member=firm_member, offering=offering,
                                   message="请按报价提供服务")
    agency_member = offering.agency.organisation.members[0]
    services.submit_quote(order, agency_member, contract_type=contract_type,
                          contract_amount_fen=contract_amount_fen,
                          technical_amount_fen=(contract_amount_fen if technical_amount_fen
                                                is None else technical_amount_fen),
                          deliverables="检测报告", due_date=date.today() + timedelta(days=due_in_days))
    return order
