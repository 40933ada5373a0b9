"""comparison keys made again by today's rules

The keys an investigator compares (core.normalise) learnt more spellings: an address
written with the country (中国江西省…), a province without 省 (江西南昌市…), the city
without 市, 區 and 縣; a phone number written 86-0791-…; an invoice number written after words (Invoice No., Fapiao #). A
key stored before stays in its old form and would never meet the new one: an invoice
delivered as "Invoice No. 36007788" would not be found when "36007788" is delivered
again. Every stored key of those kinds is made again from the value as written. Only keys
change; the values as written are untouched, so the downgrade has nothing to undo.

Revision ID: e8a4c6b2d1f7
Revises: 28dbae85ab41
Create Date: 2026-12-07 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a4c6b2d1f7'
down_revision = '28dbae85ab41'
branch_labels = None
depends_on = None

# table, the value as written, its key column, the key function, whether a key is required
_KEYS = (
    ("deliveries", "invoice_number", "invoice_number_key", "invoice_key", True),
    ("contract_registrations", "invoice_number", "invoice_number_key", "invoice_key", False),
    ("organisations", "registered_address", "registered_address_key", "address_key", False),
    ("organisation_versions", "registered_address", "address_key", "address_key", False),
    ("organisations", "contact_phone", "contact_phone_key", "phone_key", False),
    ("organisation_versions", "contact_phone", "phone_key", "phone_key", False),
)


def upgrade():
    from marketplace.core import normalise

    connection = op.get_bind()
    for table_name, written, keyed, function, required in _KEYS:
        key_of = getattr(normalise, function)
        table = sa.table(table_name, sa.column("id"), sa.column(written), sa.column(keyed))
        rows = connection.execute(sa.select(table.c.id, table.c[written], table.c[keyed])
                                  .where(table.c[written].is_not(None))).all()
        changed = []
        for row_id, value, stored in rows:
            key = key_of(value)
            if required and not key:
                continue        # a delivery's key is required: keep the one it has
            if key != stored:
                changed.append({"row_id": row_id, "key": key})
        if changed:
            connection.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                               .values({keyed: sa.bindparam("key")}), changed)


def downgrade():
    pass
