"""Row helpers for concurrent writers: row locks for read-check-write sequences (two
reviewers deciding the same item) and inserts that lose a race gracefully."""
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.extensions import db


def for_update(query, **options):
    """``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers and has no row
    locks, so the query is returned unchanged there."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(**options)
    return query


def insert_unless_present(table, unique_columns, **values):
    """``INSERT … ON CONFLICT (unique_columns) DO NOTHING`` in the session's transaction;
    True when this call inserted the row.

    On PostgreSQL a concurrent insert of the same key waits until the first
    transaction ends: if it commits, this one inserts nothing (the caller then reads the
    winner's row); if it rolls back, this one inserts. No IntegrityError either way, so
    the caller's transaction stays usable.
    """
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    # RETURNING rather than rowcount: with implicit RETURNING (psycopg 3) the rowcount of
    # an INSERT is not reliable.
    statement = insert(table).values(**values).on_conflict_do_nothing(
        index_elements=list(unique_columns)).returning(*table.primary_key.columns)
    return db.session.execute(statement).first() is not None
