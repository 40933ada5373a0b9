"""What a request sends to the database: the statements, and those SQLAlchemy compiled
again rather than took from its cache (the hot paths' tests pin both)."""
import contextlib

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from marketplace.extensions import db


@contextlib.contextmanager
def statements_sent():
    """Yields ``(statements, compiled)``, lists filled while the block runs."""
    statements, compiled = [], []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))
        if context.cache_hit is not CacheStats.CACHE_HIT:
            compiled.append(f"{context.cache_hit.name}: {statement[:80]}")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements, compiled
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
