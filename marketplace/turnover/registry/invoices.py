"""The registrations' invoices, as a source of the integrity rule that an invoice is used
once (marketplace/integrity/invoices.py; registered by ``turnover.init_app``)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.integrity.invoices import InvoiceSource
from marketplace.turnover.models import ContractRegistration


def registrations_using(key):
    return select(ContractRegistration.id).where(ContractRegistration.invoice_number_key == key)


def registration_uses(key, *, except_delivery_id=None, except_contract_id=None):
    rows = db.session.execute(
        select(ContractRegistration.id, ContractRegistration.contract_number,
               ContractRegistration.invoice_number, ContractRegistration.seller_name,
               ContractRegistration.registered_on, ContractRegistration.tech_contract_id)
        .where(ContractRegistration.invoice_number_key == key)
        .order_by(ContractRegistration.id)).all()
    return [{"source": "registration", "registration_id": row.id,
             "contract": row.contract_number, "invoice_number": row.invoice_number,
             "seller": row.seller_name, "registered_on": row.registered_on.isoformat()}
            for row in rows
            if except_contract_id is None or row.tech_contract_id != except_contract_id]


SOURCE = InvoiceSource("registration", registrations_using, registration_uses)
