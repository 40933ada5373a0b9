"""The deliveries' invoices, as a source of the integrity rule that an invoice is used once
(marketplace/integrity/invoices.py; registered by ``orders.init_app``)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.integrity.invoices import InvoiceSource
from marketplace.orders.models import Delivery, Order, TechContract


def deliveries_using(key):
    return select(Delivery.id).where(Delivery.invoice_number_key == key)


def delivery_uses(key, *, except_delivery_id=None, except_contract_id=None):
    rows = db.session.execute(
        select(Delivery.id, Delivery.order_id, Delivery.invoice_number, Delivery.invoice_date,
               TechContract.number).join(Order, Order.id == Delivery.order_id)
        .outerjoin(TechContract, TechContract.order_id == Order.id)
        .where(Delivery.invoice_number_key == key,
               *([Delivery.id != except_delivery_id] if except_delivery_id else []))
        .order_by(Delivery.id)).all()
    return [{"source": "delivery", "order_id": row.order_id, "contract": row.number,
             "invoice_number": row.invoice_number,
             "invoice_date": row.invoice_date.isoformat()} for row in rows]


SOURCE = InvoiceSource("delivery", deliveries_using, delivery_uses)
