"""API tokens expire

A token worked until it was revoked: one leaked in a script or a log worked for good. A
token now works until expires_dt (the owner picks 30, 90 or 365 days; the API's default is
API_TOKEN_DAYS). Tokens made before get a year from their creation, and at least 30 days
from this upgrade so no program stops without warning.

Revision ID: b8d4f0e2c6a3
Revises: a7c3e9d1b5f2
Create Date: 2026-12-08 01:00:00.000000

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f0e2c6a3'
down_revision = 'a7c3e9d1b5f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer),
                      sa.column('created_dt', sa.DateTime(timezone=True)),
                      sa.column('expires_dt', sa.DateTime(timezone=True)))
    grace = datetime.now(timezone.utc) + timedelta(days=30)
    rows = connection.execute(sa.select(tokens.c.id, tokens.c.created_dt)).all()
    if rows:
        connection.execute(
            tokens.update().where(tokens.c.id == sa.bindparam('token_id'))
            .values(expires_dt=sa.bindparam('until')),
            [{'token_id': token_id,
              'until': max(_aware(created) + timedelta(days=365), grace)}
             for token_id, created in rows])
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_dt', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_dt')
