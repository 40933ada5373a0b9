"""catalogue search table

The catalogue search joined offerings, agencies, organisations, scorecards and districts
on every request. catalogue_search holds one row per offering the public search may show
(published, its agency admitted) with every column it filters, sorts and lists by, and
its own full-text index (a generated tsvector with a GIN index on PostgreSQL, an FTS5
table on SQLite); the app keeps it in the transaction of every change
(marketplace/catalogue/search_table.py). Filled here from the sources, with the same rule.

Revision ID: c4d8e2f6a9b1
Revises: b7e3c9a1d2f4
Create Date: 2026-12-07 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from marketplace.catalogue.search import create_search_index, drop_search_index


# revision identifiers, used by Alembic.
revision = 'c4d8e2f6a9b1'
down_revision = 'b7e3c9a1d2f4'
branch_labels = None
depends_on = None

# The rule of marketplace/catalogue/services.py (visible_condition) as it stands at this
# revision, frozen here: the app's later rule is the app's to apply (`flask catalogue
# rebuild-search`).
BACKFILL = """
INSERT INTO catalogue_search (offering_id, agency_id, category_id, category_code,
    district_id, agency_type, in_city, agency_name, title, price_fen, price_low_fen,
    price_high_fen, accepts_vouchers, updated_dt, rating_avg_x100, orders_completed,
    search_title, search_body)
SELECT o.id, o.agency_id, o.category_id, c.code, org.district_id, a.agency_type,
    a.in_city, org.name, o.title, o.price_fen, o.price_low_fen, o.price_high_fen,
    o.accepts_vouchers, o.updated_dt, s.rating_avg_x100, s.orders_completed,
    o.search_title, o.search_body
FROM offerings o
JOIN agency_profiles a ON a.organisation_id = o.agency_id
JOIN organisations org ON org.id = a.organisation_id
JOIN service_categories c ON c.id = o.category_id
LEFT OUTER JOIN agency_scorecards s ON s.agency_id = a.organisation_id
WHERE o.status = 'published' AND a.status = 'admitted'
"""


def upgrade():
    op.create_table('catalogue_search',
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('agency_type', sa.Enum('local_intermediary', 'university', 'institute', 'other', name='agency_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('in_city', sa.Boolean(), nullable=False),
    sa.Column('agency_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('price_low_fen', sa.BigInteger(), nullable=True),
    sa.Column('price_high_fen', sa.BigInteger(), nullable=True),
    sa.Column('accepts_vouchers', sa.Boolean(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rating_avg_x100', sa.Integer(), nullable=True),
    sa.Column('orders_completed', sa.Integer(), nullable=True),
    sa.Column('search_title', sa.Text(), nullable=False),
    sa.Column('search_body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['offerings.id'], name=op.f('fk_catalogue_search_offering_id_offerings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offering_id', name=op.f('pk_catalogue_search'))
    )
    with op.batch_alter_table('catalogue_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_search_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_search_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_catalogue_search_newest', ['updated_dt', 'offering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_search_price_low_fen'), ['price_low_fen'], unique=False)
    create_search_index(op, "catalogue_search")
    if op.get_bind().dialect.name == "postgresql":
        # A row is ~2.1 kB, just past the 2 kB at which PostgreSQL moves its widest value
        # (the term vector) out of line: ranking a word found in every offering then read
        # ~5.5 pages per row (55,000 for 10,000 offerings, 125 ms on a loaded machine).
        # Kept in the row it reads 2,500 (37 ms); a longer vector still goes out of line.
        op.execute("ALTER TABLE catalogue_search ALTER COLUMN search_vector SET STORAGE MAIN")
    op.execute(BACKFILL)


def downgrade():
    drop_search_index(op, "catalogue_search")
    with op.batch_alter_table('catalogue_search', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_search_price_low_fen'))
        batch_op.drop_index('ix_catalogue_search_newest')
        batch_op.drop_index(batch_op.f('ix_catalogue_search_category_id'))
        batch_op.drop_index(batch_op.f('ix_catalogue_search_agency_id'))

    op.drop_table('catalogue_search')
