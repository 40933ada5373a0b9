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
