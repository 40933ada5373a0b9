"""Files of an order: the signed contract (uploaded by either party) and the agency's
deliverables and invoice scans. Stored like the registry's files (checked by their
content, outside the web root, under random names); every upload is a step on the
order's timeline."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.core import audit, storage
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.orders.fulfilment import party_of
from marketplace.orders.models import OrderDocument, OrderDocumentKind, OrderStatus

KINDS_BY_PARTY = {
    "firm": (OrderDocumentKind.SIGNED_CONTRACT,),
    "agency": (OrderDocumentKind.SIGNED_CONTRACT, OrderDocumentKind.DELIVERABLE,
               OrderDocumentKind.INVOICE),
}


def kinds_for(user, order):
    return KINDS_BY_PARTY.get(party_of(user, order), ())


def add_document(order, actor, *, kind, stream, original_name, field="file"):
    """Store one file of ``kind`` for ``order``; flushes, never commits."""
    kind = OrderDocumentKind(kind)
    if kind not in kinds_for(actor, order):
        raise ValidationFailed(_l("Only the agency uploads deliverables and invoices."),
                               details={"field": "kind"})
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(_l("A cancelled order takes no more documents."), code="order_closed")
    if order.contract is None:
        raise Conflict(_l("Documents can be added once the contract is signed."),
                       code="no_contract")
    stored = storage.store(stream, original_name, field=field)
    document = OrderDocument(order_id=order.id, kind=kind, uploaded_by_id=actor.id, **stored)
    db.session.add(document)
    db.session.flush()
    audit.record(order, "upload_document", actor=actor,
                 data={"document_id": document.id, "kind": kind.value,
                       "name": document.original_name, "sha256": document.sha256})
    return document


def documents_of(order):
    return db.session.execute(select(OrderDocument).where(
        OrderDocument.order_id == order.id).order_by(OrderDocument.id)).scalars().all()
