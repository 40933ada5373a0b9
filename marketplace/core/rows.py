"""Row helpers for concurrent writers: row locks for read-check-write sequences (two
reviewers deciding the same item) and inserts that lose a race gracefully."""
from sqlalchemy import bindparam, text
from sqlalchemy.orm import make_transient_to_detached

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
    # RETURNING rather than rowcount: with implicit RETURNING (psycopg 3) the rowcount of
    # an INSERT is not reliable.
    statement, values = insert_on_conflict_do_nothing(
        table, values, target=f"({', '.join(unique_columns)})",
        returning=", ".join(c.name for c in table.primary_key.columns))
    return db.session.execute(statement, values).first() is not None


_STATEMENTS = {}


def insert_on_conflict_do_nothing(table, values, *, target, returning):
    """``(statement, parameters)``: ``INSERT INTO table … ON CONFLICT target DO NOTHING
    RETURNING returning`` for ``values``, with the table's Python-side column defaults
    filled in as the Core insert would.

    Written as text, made once per table and set of columns: SQLAlchemy (2.0) cannot
    cache the compiled form of its PostgreSQL ``insert().on_conflict_do_nothing()``, and
    compiling it again cost ~3 ms of CPU per statement, on every signature twice.
    ``target`` is the conflict target as SQL (the unique columns in parentheses, and for a
    partial index its ``WHERE``); both dialects the app runs on (PostgreSQL, and SQLite for
    development) read this syntax."""
    values = dict(values)
    for column in table.columns:
        default = column.default
        if column.key in values or default is None:
            continue
        if default.is_callable:
            values[column.key] = default.arg(None)
        elif default.is_scalar:
            values[column.key] = default.arg
        else:   # a SQL expression or a sequence: not expected on these tables
            raise ValueError(f"{table.name}.{column.key}: default not supported here")
    key = (table.name, tuple(values), target, returning)
    statement = _STATEMENTS.get(key)
    if statement is None:
        names = list(values)
        statement = text(
            f"INSERT INTO {table.name} ({', '.join(table.c[n].name for n in names)}) "
            f"VALUES ({', '.join(':' + n for n in names)}) "
            f"ON CONFLICT {target} DO NOTHING RETURNING {returning}"
        ).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))
        _STATEMENTS[key] = statement
    return statement, values


def as_inserted(model, values, **keys):
    """The ``model`` row an INSERT of ``values`` just wrote (its ``keys`` from RETURNING),
    in the session without reading it back: reading all its columns back was most of the
    cost of the statement (the ORM load and the result's column descriptions). Columns the
    INSERT left to the database's own default are left unloaded (read if asked for); the
    others are NULL."""
    table = model.__table__
    row = {column.key: None for column in table.columns
           if column.server_default is None and column.key not in values}
    row.update(values)
    row.update(keys)
    instance = model(**{key: value for key, value in row.items()
                        if key in model.__mapper__.column_attrs})
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def hold_key(namespace, key):
    """Hold ``(namespace, key)`` to the end of the transaction (``pg_advisory_xact_lock``
    on PostgreSQL; SQLite serialises writers anyway): for a read-check-insert whose row
    does not exist yet, which no row lock can guard (two computations of one year's
    list). The second caller waits for the first to commit, and its next statement sees
    the first one's rows. Namespaces are named where they are used; their two-integer key
    space does not meet the single-bigint keys of the audit chain and the imports."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                           {"namespace": namespace, "key": key})
