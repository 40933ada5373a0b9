"""An invoice (发票) is used once: across every delivery on the platform and every
imported contract registration that names its invoice, compared by the normalised key.

The uses are kept by the domains above (orders' deliveries, turnover's registrations):
each registers an :class:`InvoiceSource` from its ``init_app``, so integrity reads no
domain's tables by name."""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import or_, select

from marketplace.extensions import db
from marketplace.core.normalise import invoice_key

__all__ = ("InvoiceSource", "invoice_key", "register_source", "seen", "uses_of")


@dataclass(frozen=True)
class InvoiceSource:
    name: str
    # key -> a select of the rows using it (for one EXISTS over every source)
    rows_using: Callable
    # key, except_delivery_id=None, except_contract_id=None -> [{source, invoice_number, ...}]
    uses: Callable


_SOURCES = {}


def register_source(source):
    """Add a place invoices are used (a second registration of the same name replaces the
    first: the factory runs once per app)."""
    _SOURCES[source.name] = source


def registered_sources():
    return tuple(_SOURCES.values())


def uses_of(key, *, except_delivery_id=None, except_contract_id=None):
    """Every earlier use of the invoice ``key``, source by source in the order they were
    registered, each as {source, the number as written, where}."""
    if not key:
        return []
    return [use for source in _SOURCES.values()
            for use in source.uses(key, except_delivery_id=except_delivery_id,
                                   except_contract_id=except_contract_id)]


def seen(key):
    """Whether any source used the invoice ``key`` already (one statement)."""
    if not _SOURCES:
        return False
    return db.session.execute(select(or_(
        *(source.rows_using(key).exists() for source in _SOURCES.values())))).scalar()
