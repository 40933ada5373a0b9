"""The migration that brought technology fields: contracts signed before it carried their
service category's code as their field; after it, each quote, contract and platform
registration carries the field the category suggests, marked for an auditor's
confirmation. Run on a fresh PostgreSQL database: a contract is signed at the head, the
revision is taken back (the contract as it was before), then applied again."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from config import normalise_database_url
from tests.integration.test_migrations import fresh_database  # noqa: F401

BEFORE_FIELDS = "0f51d9fa0837"


def _row(db, sql):
    return db.session.execute(text(sql)).one()


@pytest.mark.postgres
def test_platform_registrations_get_the_suggested_field_to_be_confirmed(fresh_database,
                                                                         isolated_globals):
    from flask_migrate import downgrade, upgrade

    from marketplace import create_app
    from marketplace.accounts.reference import seed_reference_data
    from marketplace.core import audit_seal
    from marketplace.extensions import db
    from marketplace.orders import services
    from tests.factories import (FirmMemberFactory, make_offering, make_quoted_order)

    other = create_app({"CONFIG_NAME": "testing",
                        "SQLALCHEMY_DATABASE_URI": normalise_database_url(fresh_database)})
    with other.app_context():
        try:
            assert db.engine.url.database == urlsplit(fresh_database).path[1:]
            upgrade()
            seed_reference_data()
            firm_member = FirmMemberFactory()
            order = make_quoted_order(make_offering(category_code="data_software"),
                                      firm_member)
            services.sign_contract(order, firm_member)
            db.session.commit()
            # the audit migration's downgrade wants every record chained first
            audit_seal.seal()
            db.session.remove()

            downgrade(revision=BEFORE_FIELDS)
            # as before: the category's code stood for the field
            assert _row(db, "SELECT field_code FROM tech_contracts")[0] == "data_software"
            assert _row(db, "SELECT field_code FROM contract_registrations")[0] == \
                "data_software"
            db.session.remove()

            upgrade()
            quote, = _row(db, "SELECT field_code FROM quotes")
            contract, = _row(db, "SELECT field_code FROM tech_contracts")
            registered, unconfirmed = _row(
                db, "SELECT field_code, field_unconfirmed FROM contract_registrations")
            assert quote == contract == registered == "electronic_information"
            assert unconfirmed is True
            assert _row(db, "SELECT count(*) FROM technology_fields")[0] == 11
            assert _row(db, "SELECT count(*) FROM calendar_days "
                            "WHERE day = '2025-10-11' AND is_working")[0] == 1
        finally:
            db.session.remove()
            db.engine.dispose()
