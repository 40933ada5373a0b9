"""An invoice (发票) is used once: across every delivery on the platform and every
imported contract registration that names its invoice, compared by the normalised key."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.integrity.normalise import invoice_key

__all__ = ("invoice_key", "seen", "uses_of")


def uses_of(key, *, except_delivery_id=None, except_contract_id=None):
    """Every earlier use of the invoice ``key``: deliveries and registrations, each as
    {source, the number as written, where}."""
    from marketplace.orders.models import Delivery, Order, TechContract
    from marketplace.turnover.models import ContractRegistration

    if not key:
        return []
    deliveries = db.session.execute(
        select(Delivery.id, Delivery.order_id, Delivery.invoice_number, Delivery.invoice_date,
               TechContract.number).join(Order, Order.id == Delivery.order_id)
        .outerjoin(TechContract, TechContract.order_id == Order.id)
        .where(Delivery.invoice_number_key == key,
               *([Delivery.id != except_delivery_id] if except_delivery_id else []))
        .order_by(Delivery.id)).all()
    registrations = db.session.execute(
        select(ContractRegistration.id, ContractRegistration.contract_number,
               ContractRegistration.invoice_number, ContractRegistration.seller_name,
               ContractRegistration.registered_on, ContractRegistration.tech_contract_id)
        .where(ContractRegistration.invoice_number_key == key)
        .order_by(ContractRegistration.id)).all()
    found = [{"source": "delivery", "order_id": row.order_id, "contract": row.number,
              "invoice_number": row.invoice_number,
              "invoice_date": row.invoice_date.isoformat()} for row in deliveries]
    found += [{"source": "registration", "registration_id": row.id,
               "contract": row.contract_number, "invoice_number": row.invoice_number,
               "seller": row.seller_name, "registered_on": row.registered_on.isoformat()}
              for row in registrations
              if except_contract_id is None or row.tech_contract_id != except_contract_id]
    return found


def seen(key):
    """Whether any delivery or registration used the invoice ``key`` already."""
    from marketplace.orders.models import Delivery
    from marketplace.turnover.models import ContractRegistration

    return db.session.execute(select(
        select(Delivery.id).where(Delivery.invoice_number_key == key).exists()
        | select(ContractRegistration.id)
        .where(ContractRegistration.invoice_number_key == key).exists())).scalar()
