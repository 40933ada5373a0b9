"""Pages of a query that count only when the page cannot tell the total itself."""
from flask_sqlalchemy.pagination import SelectPagination

from marketplace.extensions import db


def total_told_by_page(shown, offset, per_page):
    """The total number of items when a page says it by itself, else None: a page that is
    not full is the last one (the total is its offset plus what it shows), and an empty
    first page means there is nothing. A full page, or an empty one past the first, says
    nothing of the total."""
    if 0 < shown < per_page or (shown == 0 and offset == 0):
        return offset + shown
    return None


class SelfCountingPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, without its count statement when the page tells the
    total (:func:`total_told_by_page`). Most listings of one party (an agency's
    offerings, say) fit on their first page: for them this is one statement fewer on every
    view."""

    def _query_count(self):
        told = total_told_by_page(len(self.items), self._query_offset, self.per_page)
        return told if told is not None else super()._query_count()


def paginate(statement, *, page, per_page, error_out=False):
    return SelfCountingPagination(select=statement, session=db.session(), page=page,
                                  per_page=per_page, error_out=error_out)
