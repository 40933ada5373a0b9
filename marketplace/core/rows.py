"""Row locks for read-check-write sequences (two reviewers deciding the same item)."""
from marketplace.extensions import db


def for_update(query, **options):
    """``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers and has no row
    locks, so the query is returned unchanged there."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(**options)
    return query
