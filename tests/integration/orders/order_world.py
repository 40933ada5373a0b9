"""What the order page and API tests share: an admitted agency with an offering, a firm
with a voucher, a quoted order, and helpers driving an order on through the services.

Import the fixtures by name into a test module (``from ... import firm_member  # noqa``).
"""
import secrets
from datetime import date
from html import unescape

import pytest

from marketplace.accounts.models import Role
from marketplace.agencies.services import profile_of
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.orders import fulfilment, services
from marketplace.orders.models import Order
from tests.support.copay import record_paid_copay
from tests.factories import (AgencyMemberFactory, FirmMemberFactory, UserFactory,
                             make_agency_profile, make_offering, make_programme,
                             make_quoted_order, make_voucher)


def committed(value):
    """Commit the test's own setup and forget the notifications it queued (as the
    database reset does), or the next request would relay them all."""
    db.session.commit()
    outbox._committed_ids.set(None)
    return value


def reload(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def page_text(response):
    return unescape(response.get_data(as_text=True))


def token():
    """A form's one-time token (the page renders a fresh one each time)."""
    return secrets.token_urlsafe(16)


def person(role):
    return committed(UserFactory(role=Role(role), locale="en"))


@pytest.fixture
def agency_member():
    member = AgencyMemberFactory(locale="en")
    make_agency_profile(member)
    return committed(member)


@pytest.fixture
def offering(agency_member):
    return committed(make_offering(profile_of(agency_member.organisation),
                                   title="Coating tests"))


@pytest.fixture
def firm_member():
    return committed(FirmMemberFactory(locale="en"))


@pytest.fixture
def voucher(firm_member):
    """¥200,000 for a tech SME: half of a contract, at most its balance."""
    return committed(make_voucher(make_programme(), amount_fen=200_000_00,
                                  firm_member=firm_member))


@pytest.fixture
def quoted(offering, firm_member):
    return committed(make_quoted_order(offering, firm_member, contract_amount_fen=100_000_00,
                                       technical_amount_fen=80_000_00))


def signed(order, firm_member, voucher=None):
    services.sign_contract(order, firm_member, voucher_id=voucher.id if voucher else None)
    return committed(order)


def paid(order, firm_member, voucher=None):
    signed(order, firm_member, voucher)
    record_paid_copay(order)
    return committed(order)


def delivered(order, firm_member, voucher=None, invoice="INV-1"):
    paid(order, firm_member, voucher)
    fulfilment.deliver(order, order.offering.agency.organisation.members[0],
                       summary="Report delivered", invoice_number=invoice,
                       invoice_amount_fen=order.contract.contract_amount_fen,
                       invoice_date=date.today())
    return committed(order)


def accepted(order, firm_member, voucher=None):
    delivered(order, firm_member, voucher)
    fulfilment.accept(order, firm_member)
    return committed(order)


@pytest.fixture
def gateway_down(app, monkeypatch):
    """The payment gateway unreachable: a closed loopback port (the discard port)."""
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
