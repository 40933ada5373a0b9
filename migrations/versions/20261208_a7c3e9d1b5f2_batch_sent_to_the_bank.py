"""a disbursement batch knows when its payment file went to the bank

The first export of a batch's payment file marks it sent (sent_dt, and the total the file
said, sent_total_fen): the bank may pay that file as it is, so a co-pay refunded or a
claim voided afterwards no longer changes the batch's lines. The refund is kept on the
co-pay line (refunded_at_bank_fen) and the void on the claim (void_pending_reason) until
the bank or the treasury answers. An open batch already exported counts as sent from its
creation, with its total of now (what its last file said).

Revision ID: a7c3e9d1b5f2
Revises: f3b9d5e7a2c4
Create Date: 2026-12-08 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1b5f2'
down_revision = 'f3b9d5e7a2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('disbursement_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_total_fen', sa.BigInteger(), nullable=True))
    batches = sa.table('disbursement_batches', sa.column('status', sa.String),
                       sa.column('export_count', sa.Integer),
                       sa.column('created_dt', sa.DateTime(timezone=True)),
                       sa.column('sent_dt', sa.DateTime(timezone=True)),
                       sa.column('total_fen', sa.BigInteger),
                       sa.column('sent_total_fen', sa.BigInteger))
    op.execute(batches.update().where(batches.c.status == 'open', batches.c.export_count > 0)
               .values(sent_dt=batches.c.created_dt, sent_total_fen=batches.c.total_fen))
    with op.batch_alter_table('disbursement_batches', schema=None) as batch_op:
        batch_op.create_check_constraint('sent_has_total',
                                         '(sent_dt IS NULL) = (sent_total_fen IS NULL)')
    with op.batch_alter_table('disbursement_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_at_bank_fen', sa.BigInteger(), nullable=False,
                                      server_default='0'))
        batch_op.create_check_constraint(
            'refunded_at_bank_within_amount',
            'refunded_at_bank_fen >= 0 AND refunded_at_bank_fen <= amount_fen')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('void_pending_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('void_pending_reason')
    with op.batch_alter_table('disbursement_lines', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('ck_disbursement_lines_refunded_at_bank_within_amount'), type_='check')
        batch_op.drop_column('refunded_at_bank_fen')
    with op.batch_alter_table('disbursement_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_disbursement_batches_sent_has_total'),
                                 type_='check')
        batch_op.drop_column('sent_total_fen')
        batch_op.drop_column('sent_dt')
