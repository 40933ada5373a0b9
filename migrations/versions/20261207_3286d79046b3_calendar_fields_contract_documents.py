"""working-day calendar, technology fields, contract documents

- calendar_days: public holidays and make-up working days (调休), seeded with the State
  Council's schedules of the years known (marketplace/workdays/official.py).
- technology_fields: the registration system's technology fields (技术领域), seeded; each
  service category suggests one; a quote carries the one the agency chose.
- Contracts signed before this carried their service category's code as their field: each
  quote and contract gets the field its category suggests, and their registrations get it
  too, marked ``field_unconfirmed`` for an auditor to confirm.
- contract_documents: the contract's PDF as first rendered.

Revision ID: 3286d79046b3
Revises: 0f51d9fa0837
Create Date: 2026-12-07 04:52:53.675730

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from marketplace.agencies.reference import DEFAULT_FIELD_SUGGESTIONS
from marketplace.technology_fields.services import FALLBACK_FIELD, TECH_FIELDS
from marketplace.workdays.official import SCHEDULES, official_days


# revision identifiers, used by Alembic.
revision = '3286d79046b3'
down_revision = 'dbcedd87d526'
branch_labels = None
depends_on = None


def upgrade():
    fields = op.create_table('technology_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technology_fields')),
    sa.UniqueConstraint('code', name=op.f('uq_technology_fields_code')),
    sa.UniqueConstraint('name_zh', name=op.f('uq_technology_fields_name_zh'))
    )
    days = op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_working', sa.Boolean(), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('official', 'admin', 'import')", name=op.f('ck_calendar_days_calendar_day_source_known')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_calendar_days_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('contract_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('rendered_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['tech_contracts.id'], name=op.f('fk_contract_documents_contract_id_tech_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_documents')),
    sa.UniqueConstraint('contract_id', name=op.f('uq_contract_documents_contract_id'))
    )
    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_unconfirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_code', sa.String(length=40), nullable=True))
    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('technology_field_code', sa.String(length=40), nullable=True))

    op.bulk_insert(fields, [
        {"code": code, "name_zh": zh, "name_en": en, "is_active": True, "sort_order": 10 * i}
        for i, (code, zh, en) in enumerate(TECH_FIELDS)])
    now = datetime.now(timezone.utc)
    op.bulk_insert(days, [
        {"day": day, "is_working": working, "name_zh": zh, "name_en": en,
         "source": "official", "updated_dt": now}
        for year in sorted(SCHEDULES) for day, working, zh, en in official_days(year)])
    bind = op.get_bind()
    for code, field in DEFAULT_FIELD_SUGGESTIONS.items():
        bind.execute(sa.text("UPDATE service_categories SET technology_field_code = :field "
                             "WHERE code = :code"), {"field": field, "code": code})
    # the quotes and contracts so far: the field their category (or its parent) suggests
    bind.execute(sa.text(
        "UPDATE quotes SET field_code = COALESCE(("
        "SELECT COALESCE(c.technology_field_code, p.technology_field_code) FROM orders o "
        "JOIN offerings f ON f.id = o.offering_id "
        "JOIN service_categories c ON c.id = f.category_id "
        "LEFT JOIN service_categories p ON p.id = c.parent_id "
        "WHERE o.id = quotes.order_id), :fallback)"), {"fallback": FALLBACK_FIELD})
    bind.execute(sa.text(
        "UPDATE tech_contracts SET field_code = ("
        "SELECT q.field_code FROM quotes q WHERE q.id = tech_contracts.quote_id)"))
    # their registrations (the original and any cancellation of the same number) take it,
    # to be confirmed by an auditor
    bind.execute(sa.text(
        "UPDATE contract_registrations SET field_unconfirmed = :yes, field_code = ("
        "SELECT t.field_code FROM tech_contracts t "
        "WHERE t.number = contract_registrations.contract_number) "
        "WHERE source = 'platform' AND EXISTS (SELECT 1 FROM tech_contracts t "
        "WHERE t.number = contract_registrations.contract_number)"), {"yes": True})
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.alter_column('field_code', existing_type=sa.String(length=40), nullable=False)


def downgrade():
    # contracts go back to their service category's code as their field
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE tech_contracts SET field_code = (SELECT c.code FROM orders o "
        "JOIN offerings f ON f.id = o.offering_id "
        "JOIN service_categories c ON c.id = f.category_id "
        "WHERE o.id = tech_contracts.order_id)"))
    bind.execute(sa.text(
        "UPDATE contract_registrations SET field_code = ("
        "SELECT t.field_code FROM tech_contracts t "
        "WHERE t.number = contract_registrations.contract_number) "
        "WHERE source = 'platform' AND EXISTS (SELECT 1 FROM tech_contracts t "
        "WHERE t.number = contract_registrations.contract_number)"))
    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.drop_column('technology_field_code')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_column('field_code')
    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.drop_column('field_unconfirmed')
    op.drop_table('contract_documents')
    op.drop_table('calendar_days')
    op.drop_table('technology_fields')
