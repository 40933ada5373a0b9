"""catalogue search: an index of the title's terms alone

A one-term search by relevance ranked every match (~10,000 rows for 检测 at the bench's
size) to show twenty. For one term every offering with it in its title ranks above every
offering with it only in the body (marketplace/catalogue/search.py, title_matches), so
when the title matches fill the page only they need ranking; this GIN index on the
title's own vector finds them. An index on the expression, not a stored column: the rows,
which the ranking reads, stay as wide as they were. PostgreSQL only: SQLite's search
keeps its FTS5 table and its one query.

Revision ID: 28dbae85ab41
Revises: d5f1a7c3e9b2
Create Date: 2026-12-07 18:00:00.000000

"""
from alembic import op

from marketplace.catalogue.search import create_title_index, drop_title_index


# revision identifiers, used by Alembic.
revision = '28dbae85ab41'
down_revision = 'd5f1a7c3e9b2'
branch_labels = None
depends_on = None


def upgrade():
    create_title_index(op)


def downgrade():
    drop_title_index(op)
