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
