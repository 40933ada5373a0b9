"""audit records sealed afterwards

Writers no longer chain audit records under one platform-wide lock: a record is written
with its content only (and the writing transaction's xid8 on PostgreSQL), and a single
sealer gives it its sequence, previous hash and hash later (marketplace/core/audit_seal.py).
So those three become nullable, a partial index lists the unsealed tail, and
audit_seal_state holds the sealer's lease (its row lock) and horizon. Existing records
are all sealed already and keep their values.

Revision ID: b7e3c9a1d2f4
Revises: 739705f206a1
Create Date: 2026-12-07 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c9a1d2f4'
down_revision = '739705f206a1'
branch_labels = None
depends_on = None

SEQUENCE_TYPE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('writer_xid', sa.BigInteger(), nullable=True))
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('sequence', existing_type=SEQUENCE_TYPE, nullable=True)
        batch_op.create_index('ix_audit_records_unsealed', ['id'], unique=False,
                              postgresql_where=sa.text('sequence IS NULL'),
                              sqlite_where=sa.text('sequence IS NULL'))
    op.create_table('audit_seal_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('horizon_id', sa.BigInteger(), nullable=True),
    sa.Column('horizon_snapshot', sa.Text(), nullable=True),
    sa.Column('sealed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seal_state'))
    )
    # the lease's one row, there before two sealers could race to make it
    op.execute('INSERT INTO audit_seal_state (id) VALUES (1)')


def downgrade():
    unsealed = op.get_bind().execute(
        sa.text('SELECT count(*) FROM audit_records WHERE sequence IS NULL')).scalar()
    if unsealed:
        # the old schema needs every record chained; dropping them would lose the log
        raise RuntimeError(f'{unsealed} audit records are not sealed yet: run '
                           f'`flask audit seal` (with the writers stopped), then downgrade')
    op.drop_table('audit_seal_state')
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_records_unsealed')
        batch_op.alter_column('sequence', existing_type=SEQUENCE_TYPE, nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('writer_xid')
