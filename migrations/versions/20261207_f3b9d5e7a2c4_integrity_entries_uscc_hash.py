"""integrity-list entries of organisations carry their credit code's keyed hash

A company holding shares in a party is one of the party's people, named by the keyed hash
of its credit code (accounts.identity_numbers). An organisation on the integrity list was
looked up by its code alone, so a barred company owning an agency was never found. The
entry now keeps that hash too (uscc_hash), filled here for the entries already listed with
the deployment's IDENTITY_HASH_KEY, the key every identity hash is made with.

Revision ID: f3b9d5e7a2c4
Revises: e8a4c6b2d1f7
Create Date: 2026-12-07 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b9d5e7a2c4'
down_revision = 'e8a4c6b2d1f7'
branch_labels = None
depends_on = None


def upgrade():
    from marketplace.accounts.identity_numbers import number_hash

    with op.batch_alter_table('integrity_list_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uscc_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_integrity_list_entries_uscc_hash'),
                              ['uscc_hash'], unique=False)
    connection = op.get_bind()
    entries = sa.table('integrity_list_entries', sa.column('id'), sa.column('uscc'),
                       sa.column('uscc_hash'))
    rows = connection.execute(sa.select(entries.c.id, entries.c.uscc)
                              .where(entries.c.uscc.is_not(None))).all()
    if rows:
        connection.execute(entries.update().where(entries.c.id == sa.bindparam('row_id'))
                           .values(uscc_hash=sa.bindparam('hash')),
                           [{'row_id': row_id, 'hash': number_hash(code)}
                            for row_id, code in rows])
    with op.batch_alter_table('integrity_list_entries', schema=None) as batch_op:
        batch_op.create_check_constraint('uscc_and_hash_together',
                                         '(uscc IS NULL) = (uscc_hash IS NULL)')


def downgrade():
    with op.batch_alter_table('integrity_list_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_integrity_list_entries_uscc_and_hash_together'),
                                 type_='check')
        batch_op.drop_index(batch_op.f('ix_integrity_list_entries_uscc_hash'))
        batch_op.drop_column('uscc_hash')
