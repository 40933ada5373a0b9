"""drop the offerings' own search index, which nothing reads

Since c4d8e2f6a9b1 the catalogue search reads its own table (catalogue_search) and its
index. The offerings' term vector (a generated column with a GIN index on PostgreSQL, an
FTS5 table kept by triggers on SQLite) was still maintained on every offering written,
and stored, for no reader. The offerings keep their terms (search_title, search_body):
the search table copies them.

Revision ID: d5f1a7c3e9b2
Revises: c4d8e2f6a9b1
Create Date: 2026-12-07 18:05:00.000000

"""
from alembic import op

from marketplace.catalogue.search import create_search_index, drop_search_index


# revision identifiers, used by Alembic.
revision = 'd5f1a7c3e9b2'
down_revision = 'c4d8e2f6a9b1'
branch_labels = None
depends_on = None


def upgrade():
    drop_search_index(op, "offerings")


def downgrade():
    create_search_index(op, "offerings")
    if op.get_bind().dialect.name != "postgresql":
        # an external-content FTS5 table starts empty: index the rows already there
        # (PostgreSQL computes a generated column for every row as it is added)
        op.execute("INSERT INTO offerings_fts(offerings_fts) VALUES ('rebuild')")
