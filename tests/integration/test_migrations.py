"""The migrations build the whole schema, tear it down, build it again, and match the
models exactly (what `flask db check` checks), on a fresh PostgreSQL database."""
import os
import re
import secrets
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from config import normalise_database_url
from marketplace.catalogue.search import TITLE_INDEX, include_object

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"


def admin_url():
    url = os.environ.get("TEST_DATABASE_ADMIN_URL")
    if not url:  # the maintenance database of the test server
        url = urlunsplit(urlsplit(os.environ["TEST_DATABASE_URL"])._replace(path="/postgres"))
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix):]
    return url


@pytest.fixture
def fresh_database():
    """An empty database on the test server (dropped afterwards, connections and all)."""
    import psycopg
    from psycopg import sql

    admin = admin_url()
    name = f"hc_migrations_{secrets.token_hex(4)}"
    try:
        connection = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.skip(f"cannot create databases through TEST_DATABASE_ADMIN_URL: {exc}")
    with connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlunsplit(urlsplit(admin)._replace(path="/" + name))
        finally:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))


def schema_differences(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                             "include_object": include_object})
        return compare_metadata(context, db.metadata)


def enum_types(db):
    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype = 'e' AND n.nspname = 'public'")).scalars().all()


@contextmanager
def app_on(database_url):
    """The app on ``database_url``, in its app context; its connections closed after."""
    from marketplace import create_app
    from marketplace.extensions import db

    other = create_app({"CONFIG_NAME": "testing",
                        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)})
    with other.app_context():
        try:
            yield db
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_upgrade_downgrade_upgrade_matches_the_models(fresh_database, isolated_globals):
    from flask_migrate import downgrade, upgrade

    with app_on(fresh_database) as db:
        assert db.engine.url.database == urlsplit(fresh_database).path[1:]
        model_tables = set(db.metadata.tables)

        upgrade()
        assert set(inspect(db.engine).get_table_names()) == model_tables | {
            "alembic_version"}
        assert schema_differences(db) == []

        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        assert enum_types(db) == [], "the downgrade left enum types behind"

        upgrade()
        assert set(inspect(db.engine).get_table_names()) == model_tables | {
            "alembic_version"}
        differences = schema_differences(db)
        assert differences == [], ("the models and the migrations differ; run "
                                   "`flask db migrate`:\n" + "\n".join(map(str, differences)))


def catalogue_search_indexes(db):
    with db.engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'catalogue_search'")).all())


@pytest.mark.postgres
def test_the_title_index_comes_and_goes_with_its_revision(fresh_database, isolated_globals):
    """28dbae85ab41 adds the index of the titles' terms (catalogue/search.py,
    title_matches) and takes it away again; autogenerate leaves it alone."""
    from flask_migrate import downgrade, upgrade

    with app_on(fresh_database) as db:
        upgrade(revision="d5f1a7c3e9b2")
        before = catalogue_search_indexes(db)
        assert TITLE_INDEX not in before

        upgrade(revision="28dbae85ab41")
        after = catalogue_search_indexes(db)
        assert set(after) - set(before) == {TITLE_INDEX}
        assert after[TITLE_INDEX].endswith(
            "USING gin (to_tsvector('simple'::regconfig, search_title)) "
            "WITH (fastupdate=off)"), after[TITLE_INDEX]

        downgrade(revision="d5f1a7c3e9b2")
        assert catalogue_search_indexes(db) == before
        upgrade()
        assert catalogue_search_indexes(db)[TITLE_INDEX] == after[TITLE_INDEX]
        # at the head, where the models are (a later revision changes other tables)
        assert schema_differences(db) == []


def revision_files():
    return sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py")
                  if p.name != "__init__.py")


def test_revision_files_are_named_by_date():
    names = revision_files()
    assert names, "no revision files found"
    for name in names:
        match = re.match(r"(\d{8})_", name)
        assert match, f"{name} does not start with YYYYMMDD_ (see file_template in alembic.ini)"
        datetime.strptime(match.group(1), "%Y%m%d")  # a real date


def test_the_revisions_form_a_single_line():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}; merge them"
    assert len(script.get_bases()) == 1


@pytest.mark.postgres
def test_stored_comparison_keys_are_made_again_by_todays_rules(fresh_database,
                                                               isolated_globals):
    """e8a4c6b2d1f7: an organisation's address key stored by the rule before it (the
    country in front kept) is made again, so the related-party look-up meets it."""
    with app_on(fresh_database):
        assert _one_value_after_upgrade(
            "28dbae85ab41",
            "INSERT INTO organisations (kind, name, uscc, legal_representative, "
            "registered_address, contact_phone, created_dt, "
            "registered_address_key) VALUES ('agency', '甲', '91360100MA35X0000X', "
            "'张伟', '中国江西省南昌市东湖区八一大道333号', '0791-88880001', now(), "
            "'中国江西省南昌市东湖区八一大道333')",
            "e8a4c6b2d1f7", "SELECT registered_address_key FROM organisations") \
            == "八一大道333"


def _one_value_after_upgrade(before, insert, after, query):
    """Upgrade to ``before``, write a row as it was then (``insert``), upgrade to
    ``after`` and read back the one value ``query`` selects."""
    from flask_migrate import upgrade

    from marketplace.extensions import db

    upgrade(revision=before)
    with db.engine.begin() as connection:
        connection.execute(text(insert))
    upgrade(revision=after)
    with db.engine.connect() as connection:
        return connection.execute(text(query)).scalar()


@pytest.mark.postgres
def test_a_listed_organisation_gets_its_credit_codes_hash(fresh_database, isolated_globals):
    """f3b9d5e7a2c4: an organisation listed before it is found as a shareholder of a
    party, by the keyed hash of its credit code."""
    from flask_migrate import downgrade, upgrade

    from marketplace.accounts.identity_numbers import number_hash

    with app_on(fresh_database):
        assert _one_value_after_upgrade(
            "e8a4c6b2d1f7",
            "INSERT INTO integrity_list_entries (subject, name, uscc, reason, source, "
            "listed_from, status, created_dt) VALUES ('organisation', '甲', "
            "'91360100MA35X0000X', '失信', '信用中国', '2025-01-01', 'listed', now())",
            "f3b9d5e7a2c4", "SELECT uscc_hash FROM integrity_list_entries") \
            == number_hash("91360100MA35X0000X")
        downgrade(revision="e8a4c6b2d1f7")
        upgrade()


@pytest.mark.postgres
def test_a_token_made_before_expiry_gets_a_year_and_at_least_a_months_grace(
        fresh_database, isolated_globals):
    """b8d4f0e2c6a3: a token made two years ago does not stop working at the upgrade: it
    works 30 days more; one made today works a year from its making."""
    from flask_migrate import upgrade

    with app_on(fresh_database) as db:
        upgrade(revision="a7c3e9d1b5f2")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (email, name, password_hash, role, is_owner, "
                "is_active_account, locale, session_version, created_dt) VALUES "
                "('old@example.com', '甲', 'x', 'admin', false, true, 'zh', 1, now())"))
            connection.execute(text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_dt) "
                "SELECT id, 'old', 'a', 'hc_a', now() - interval '730 days' FROM users "
                "UNION ALL SELECT id, 'new', 'b', 'hc_b', now() FROM users"))
        upgrade(revision="b8d4f0e2c6a3")
        with db.engine.connect() as connection:
            lives = dict(connection.execute(text(
                "SELECT name, round(extract(epoch FROM expires_dt - now()) / 86400) "
                "FROM api_tokens")).all())
        assert (int(lives["old"]), int(lives["new"])) == (30, 365)
        upgrade()
