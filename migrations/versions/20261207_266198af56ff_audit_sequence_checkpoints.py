"""audit sequence and checkpoints

Audit records get a gapless sequence (numbered in chain order, which is id order: the
chain was always extended under one lock), and the chain's head is checkpointed in
audit_checkpoints (sequence, head hash, time) to be published outside the table.

Revision ID: 266198af56ff
Revises: 0f51d9fa0837
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '266198af56ff'
down_revision = 'a1f0c2d3e4b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE audit_records SET sequence = numbered.n FROM ("
                   "SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_records"
                   ") AS numbered WHERE audit_records.id = numbered.id")
    else:
        op.execute("UPDATE audit_records SET sequence = (SELECT count(*) FROM audit_records "
                   "AS earlier WHERE earlier.id <= audit_records.id)")
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_records_sequence'), ['sequence'])

    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_created_dt'), ['created_dt'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_created_dt'))
    op.drop_table('audit_checkpoints')
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_records_sequence'), type_='unique')
        batch_op.drop_column('sequence')
