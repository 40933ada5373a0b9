"""Identity the bureau can trust: versions of organisations' regulated facts with their
people, change requests, the certification lists and the integrity list; the integrity
checks' thresholds in the programme rules; contracts pinning both parties' versions; the
invoice key of imported registrations.

Every existing organisation gets its first version (its facts as they stand, its legal
representative by name: no identity number was ever recorded), and every existing
contract pins the first versions of its parties. The comparison keys of organisations and
deliveries are recomputed with the investigator's normalisation; the delivery invoice key
is no longer unique in the schema (two old spellings of one invoice may now share a key:
the duplicate-invoice check reports them rather than the migration failing).

Revision ID: 7c1d2e3f4a5b
Revises: 0f51d9fa0837
Create Date: 2026-12-07 04:57:53.703825

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d2e3f4a5b'
down_revision = '3286d79046b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('integrity_list', 'certification', 'people', name='identity_import_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_in_file', sa.Integer(), nullable=False),
    sa.Column('rows_added', sa.Integer(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rows_added >= 0 AND rows_in_file >= 0', name=op.f('ck_identity_import_batches_identity_import_counts_non_negative')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_identity_import_batches_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_import_batches'))
    )
    with op.batch_alter_table('identity_import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_import_batches_sha256'), ['sha256'], unique=False)

    op.create_table('organisation_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('registration', 'migration', 'change_request', 'registry_import', name='version_source', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('legal_representative', sa.String(length=100), nullable=False),
    sa.Column('registered_address', sa.String(length=300), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('bank_name', sa.String(length=100), nullable=True),
    sa.Column('bank_cnaps_code', sa.String(length=12), nullable=True),
    sa.Column('bank_account', sa.String(length=64), nullable=True),
    sa.Column('firm_tier', sa.Enum('tech_sme', 'high_tech', 'benchmark_high_tech', name='firm_tier', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('tier_certificate_id', sa.Integer(), nullable=True),
    sa.Column('name_key', sa.String(length=200), nullable=True),
    sa.Column('address_key', sa.String(length=300), nullable=True),
    sa.Column('phone_key', sa.String(length=40), nullable=True),
    sa.Column('bank_account_key', sa.String(length=64), nullable=True),
    sa.Column('change_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('bank_cnaps_code IS NULL OR length(bank_cnaps_code) = 12', name=op.f('ck_organisation_versions_cnaps_code_length')),
    sa.CheckConstraint('number > 0', name=op.f('ck_organisation_versions_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_organisation_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_organisation_versions_district_id_districts')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_versions_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_versions')),
    sa.UniqueConstraint('organisation_id', 'number', name='uq_organisation_versions_number')
    )
    with op.batch_alter_table('organisation_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_versions_address_key'), ['address_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_versions_bank_account_key'), ['bank_account_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_versions_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_versions_phone_key'), ['phone_key'], unique=False)

    op.create_table('organisation_version_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('role', sa.Enum('legal_representative', 'officer', 'shareholder', name='person_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.Enum('director', 'supervisor', 'manager', name='officer_title', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('id_kind', sa.String(length=12), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=40), nullable=True),
    sa.Column('share_bp', sa.Integer(), nullable=True),
    sa.CheckConstraint("id_kind IS NULL OR id_kind IN ('resident_id', 'uscc', 'other')", name=op.f('ck_organisation_version_people_id_kind_known')),
    sa.CheckConstraint("role = 'officer' OR title IS NULL", name=op.f('ck_organisation_version_people_title_only_for_officers')),
    sa.CheckConstraint("role = 'shareholder' OR share_bp IS NULL", name=op.f('ck_organisation_version_people_share_only_for_shareholders')),
    sa.CheckConstraint('(id_number_hash IS NULL) = (id_number_masked IS NULL)', name=op.f('ck_organisation_version_people_hash_and_mask_together')),
    sa.CheckConstraint('share_bp IS NULL OR share_bp BETWEEN 1 AND 10000', name=op.f('ck_organisation_version_people_share_in_range')),
    sa.ForeignKeyConstraint(['version_id'], ['organisation_versions.id'], name=op.f('fk_organisation_version_people_version_id_organisation_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_version_people'))
    )
    with op.batch_alter_table('organisation_version_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_version_people_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_version_people_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_version_people_version_id'), ['version_id'], unique=False)

    op.create_table('organisation_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'withdrawn', name='change_request_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proposed', sa.Text(), nullable=False),
    sa.Column('certificate_number', sa.String(length=60), nullable=True),
    sa.Column('certificate_valid_from', sa.Date(), nullable=True),
    sa.Column('certificate_valid_to', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.Column('result_version_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'approved') = (result_version_id IS NOT NULL)", name=op.f('ck_organisation_change_requests_approved_has_version')),
    sa.CheckConstraint('certificate_valid_to IS NULL OR certificate_valid_from IS NULL OR certificate_valid_to >= certificate_valid_from', name=op.f('ck_organisation_change_requests_certificate_dates_in_order')),
    sa.ForeignKeyConstraint(['base_version_id'], ['organisation_versions.id'], name=op.f('fk_organisation_change_requests_base_version_id_organisation_versions')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_organisation_change_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_change_requests_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_organisation_change_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['result_version_id'], ['organisation_versions.id'], name=op.f('fk_organisation_change_requests_result_version_id_organisation_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_change_requests'))
    )
    with op.batch_alter_table('organisation_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_change_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_change_requests_status'), ['status'], unique=False)
        batch_op.create_index('uq_organisation_change_requests_pending', ['organisation_id'], unique=True, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.create_table('certification_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Enum('tech_sme', 'high_tech', 'benchmark_high_tech', name='firm_tier', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('certificate_number', sa.String(length=60), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('list', 'confirmed', name='certification_source', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('change_request_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_certification_entries_certificate_dates_in_order')),
    sa.ForeignKeyConstraint(['change_request_id'], ['organisation_change_requests.id'], name=op.f('fk_certification_entries_change_request_id_organisation_change_requests')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certification_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['identity_import_batches.id'], name=op.f('fk_certification_entries_import_batch_id_identity_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_entries')),
    sa.UniqueConstraint('tier', 'certificate_number', name='uq_certification_entries_certificate')
    )
    with op.batch_alter_table('certification_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_entries_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index('ix_certification_entries_uscc_valid_to', ['uscc', 'valid_to'], unique=False)

    op.create_table('integrity_list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('organisation', 'person', name='barred_subject', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('listed_from', sa.Date(), nullable=False),
    sa.Column('listed_to', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('listed', 'lifted', name='integrity_entry_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("subject <> 'organisation' OR uscc IS NOT NULL", name=op.f('ck_integrity_list_entries_organisation_has_uscc')),
    sa.CheckConstraint("subject <> 'person' OR id_number_hash IS NOT NULL", name=op.f('ck_integrity_list_entries_person_has_identity_hash')),
    sa.CheckConstraint('(id_number_hash IS NULL) = (id_number_masked IS NULL)', name=op.f('ck_integrity_list_entries_hash_and_mask_together')),
    sa.CheckConstraint("(status = 'lifted') = (lifted_dt IS NOT NULL AND lifted_by_id IS NOT NULL AND lift_reason IS NOT NULL)", name=op.f('ck_integrity_list_entries_lifted_by_someone')),
    sa.CheckConstraint('listed_to IS NULL OR listed_to >= listed_from', name=op.f('ck_integrity_list_entries_listing_dates_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_integrity_list_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['identity_import_batches.id'], name=op.f('fk_integrity_list_entries_import_batch_id_identity_import_batches')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_integrity_list_entries_lifted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_list_entries'))
    )
    with op.batch_alter_table('integrity_list_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_list_entries_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_list_entries_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_list_entries_uscc'), ['uscc'], unique=False)

    with op.batch_alter_table('organisation_versions', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_organisation_versions_change_request_id', 'organisation_change_requests', ['change_request_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_organisation_versions_tier_certificate_id_certification_entries'), 'certification_entries', ['tier_certificate_id'], ['id'])

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rechecked_round', sa.Integer(), nullable=True))

    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('invoice_number_key', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_contract_registrations_invoice_number_key', ['invoice_number_key'], unique=False, postgresql_where=sa.text('invoice_number_key IS NOT NULL'), sqlite_where=sa.text('invoice_number_key IS NOT NULL'))

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_deliveries_invoice_number_key'), type_='unique')
        batch_op.create_index(batch_op.f('ix_deliveries_invoice_number_key'), ['invoice_number_key'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_organisations_current_version_id', 'organisation_versions', ['current_version_id'], ['id'])

    with op.batch_alter_table('programme_rule_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('split_window_days', sa.Integer(), server_default='90', nullable=False))
        batch_op.add_column(sa.Column('price_ratio_max_bp', sa.Integer(), server_default='15000', nullable=False))
        batch_op.add_column(sa.Column('category_ratio_max_bp', sa.Integer(), server_default='20000', nullable=False))
        batch_op.add_column(sa.Column('category_min_contracts', sa.Integer(), server_default='10', nullable=False))

    with op.batch_alter_table('tech_contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seller_version_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_tech_contracts_field_signed', ['field_code', 'signed_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tech_contracts_seller_version_id_organisation_versions'), 'organisation_versions', ['seller_version_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tech_contracts_buyer_version_id_organisation_versions'), 'organisation_versions', ['buyer_version_id'], ['id'])

    _first_versions()


def _first_versions():
    """Version 1 of every organisation, pinned by its contracts; keys recomputed."""
    from marketplace.core import normalise

    connection = op.get_bind()
    organisations = sa.table(
        'organisations', sa.column('id', sa.Integer), sa.column('name', sa.String),
        sa.column('uscc', sa.String), sa.column('legal_representative', sa.String),
        sa.column('registered_address', sa.String), sa.column('district_id', sa.Integer),
        sa.column('contact_phone', sa.String), sa.column('bank_account', sa.String),
        sa.column('firm_tier', sa.String), sa.column('created_dt', sa.DateTime(timezone=True)),
        sa.column('current_version_id', sa.Integer),
        sa.column('legal_representative_key', sa.String),
        sa.column('registered_address_key', sa.String),
        sa.column('contact_phone_key', sa.String), sa.column('bank_account_key', sa.String))
    versions = sa.table(
        'organisation_versions', sa.column('id', sa.Integer),
        sa.column('organisation_id', sa.Integer), sa.column('number', sa.Integer),
        sa.column('source', sa.String), sa.column('name', sa.String),
        sa.column('uscc', sa.String), sa.column('legal_representative', sa.String),
        sa.column('registered_address', sa.String), sa.column('district_id', sa.Integer),
        sa.column('contact_phone', sa.String), sa.column('bank_account', sa.String),
        sa.column('firm_tier', sa.String), sa.column('name_key', sa.String),
        sa.column('address_key', sa.String), sa.column('phone_key', sa.String),
        sa.column('bank_account_key', sa.String),
        sa.column('created_dt', sa.DateTime(timezone=True)))
    people = sa.table(
        'organisation_version_people', sa.column('version_id', sa.Integer),
        sa.column('position', sa.SmallInteger), sa.column('role', sa.String),
        sa.column('name', sa.String), sa.column('name_key', sa.String))
    contracts = sa.table('tech_contracts', sa.column('buyer_id', sa.Integer),
                         sa.column('seller_id', sa.Integer),
                         sa.column('buyer_version_id', sa.Integer),
                         sa.column('seller_version_id', sa.Integer))
    deliveries = sa.table('deliveries', sa.column('id', sa.Integer),
                          sa.column('invoice_number', sa.String),
                          sa.column('invoice_number_key', sa.String))
    rows = connection.execute(sa.select(organisations)).all()
    for row in rows:
        version_id = connection.execute(versions.insert().values(
            organisation_id=row.id, number=1, source='migration', name=row.name,
            uscc=row.uscc, legal_representative=row.legal_representative,
            registered_address=row.registered_address, district_id=row.district_id,
            contact_phone=row.contact_phone, bank_account=row.bank_account,
            firm_tier=row.firm_tier, name_key=normalise.name_key(row.name),
            address_key=normalise.address_key(row.registered_address),
            phone_key=normalise.phone_key(row.contact_phone),
            bank_account_key=normalise.digits_key(row.bank_account),
            created_dt=row.created_dt).returning(versions.c.id)).scalar_one()
        connection.execute(people.insert().values(
            version_id=version_id, position=0, role='legal_representative',
            name=row.legal_representative,
            name_key=normalise.name_key(row.legal_representative) or row.legal_representative))
        connection.execute(organisations.update().where(organisations.c.id == row.id).values(
            current_version_id=version_id,
            legal_representative_key=normalise.name_key(row.legal_representative),
            registered_address_key=normalise.address_key(row.registered_address),
            contact_phone_key=normalise.phone_key(row.contact_phone),
            bank_account_key=normalise.digits_key(row.bank_account)))
        connection.execute(contracts.update().where(contracts.c.buyer_id == row.id)
                           .values(buyer_version_id=version_id))
        connection.execute(contracts.update().where(contracts.c.seller_id == row.id)
                           .values(seller_version_id=version_id))
    for row in connection.execute(sa.select(deliveries.c.id, deliveries.c.invoice_number)).all():
        connection.execute(deliveries.update().where(deliveries.c.id == row.id).values(
            invoice_number_key=normalise.invoice_key(row.invoice_number) or ''))


def downgrade():
    with op.batch_alter_table('tech_contracts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tech_contracts_buyer_version_id_organisation_versions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tech_contracts_seller_version_id_organisation_versions'), type_='foreignkey')
        batch_op.drop_index('ix_tech_contracts_field_signed')
        batch_op.drop_column('seller_version_id')
        batch_op.drop_column('buyer_version_id')

    with op.batch_alter_table('programme_rule_versions', schema=None) as batch_op:
        batch_op.drop_column('category_min_contracts')
        batch_op.drop_column('category_ratio_max_bp')
        batch_op.drop_column('price_ratio_max_bp')
        batch_op.drop_column('split_window_days')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_organisations_current_version_id', type_='foreignkey')
        batch_op.drop_column('current_version_id')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_invoice_number_key'))
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_invoice_number_key'), ['invoice_number_key'], postgresql_nulls_not_distinct=False)

    with op.batch_alter_table('contract_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_registrations_invoice_number_key', postgresql_where=sa.text('invoice_number_key IS NOT NULL'), sqlite_where=sa.text('invoice_number_key IS NOT NULL'))
        batch_op.drop_column('invoice_number_key')
        batch_op.drop_column('invoice_number')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('rechecked_round')

    op.drop_table('integrity_list_entries')
    with op.batch_alter_table('organisation_versions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_organisation_versions_change_request_id', type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_organisation_versions_tier_certificate_id_certification_entries'), type_='foreignkey')

    op.drop_table('certification_entries')
    op.drop_table('organisation_change_requests')
    op.drop_table('organisation_version_people')
    op.drop_table('organisation_versions')
    op.drop_table('identity_import_batches')
