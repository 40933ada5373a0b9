"""registry rejected numbers and expert reinstatement

A rejected contract registration no longer holds its number: the unique constraint on
(contract_number, sequence) becomes a unique index over the rows not rejected, with a small
index over the rejected ones for a contract's history. Experts get the time of their latest
reinstatement (filled from the audit log), from which the no-show rule counts afresh.

Revision ID: 0f51d9fa0837
Revises: 98448d5b08d4
Create Date: 2026-11-26 10:58:05.920559

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0f51d9fa0837'
down_revision = '98448d5b08d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.create_index('uq_contract_registrations_live_number_sequence', ['contract_number', 'sequence'], unique=True, postgresql_where=sa.text("status <> 'rejected'"), sqlite_where=sa.text("status <> 'rejected'"))
        batch_op.create_index('ix_contract_registrations_rejected_number', ['contract_number'], unique=False, postgresql_where=sa.text("status = 'rejected'"), sqlite_where=sa.text("status = 'rejected'"))
        batch_op.drop_constraint(batch_op.f('uq_contract_registrations_number_sequence'), type_='unique')

    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reinstated_dt', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE expert_profiles SET reinstated_dt = ("
        "SELECT MAX(a.created_dt) FROM audit_records a "
        "WHERE a.object_type = 'ExpertProfile' AND a.action = 'reinstate' "
        "AND a.object_id = CAST(expert_profiles.user_id AS VARCHAR(64)))")


def downgrade():
    # the old constraint cannot hold once a rejected number was registered again
    reused = op.get_bind().execute(sa.text(
        "SELECT contract_number FROM contract_registrations "
        "GROUP BY contract_number, sequence HAVING COUNT(*) > 1 LIMIT 1")).first()
    if reused is not None:
        raise RuntimeError(f"contract number {reused[0]} is registered again after a "
                           "rejection; the unique (number, sequence) constraint cannot be "
                           "restored")
    with op.batch_alter_table('expert_profiles', schema=None) as batch_op:
        batch_op.drop_column('reinstated_dt')

    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_contract_registrations_number_sequence'), ['contract_number', 'sequence'])
        batch_op.drop_index('uq_contract_registrations_live_number_sequence', postgresql_where=sa.text("status <> 'rejected'"), sqlite_where=sa.text("status <> 'rejected'"))
        batch_op.drop_index('ix_contract_registrations_rejected_number', postgresql_where=sa.text("status = 'rejected'"), sqlite_where=sa.text("status = 'rejected'"))
