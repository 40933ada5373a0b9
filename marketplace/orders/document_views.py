"""The contract document: its PDF for the parties and the bureau, and the public page that
verifies a printed one by its number and code."""
import io

from flask import render_template, request, send_file
from flask_login import current_user

from marketplace.core.permissions import access, anyone, is_authenticated, require_visible
from marketplace.extensions import db
from marketplace.orders import contract_document, verification
from marketplace.orders import permissions as perms
from marketplace.orders.models import Order
from marketplace.orders.views import bp
from marketplace.technology_fields.services import field_label


def contract_for_download(order_id, user):
    """The signed contract of an order the user may see the document of, or NotFound (for
    an order without a contract too)."""
    order = db.session.get(Order, order_id)
    require_visible(perms.can_download_contract, order, user=user)
    return order.contract


def send_contract(contract):
    """Render once (kept), commit, and send the PDF."""
    document = contract_document.document_of(contract)
    db.session.commit()
    response = send_file(io.BytesIO(document.pdf), mimetype="application/pdf",
                         as_attachment=True,
                         download_name=contract_document.file_name(contract), max_age=0)
    # the parties' bank account and phone are in it: no shared cache keeps a copy
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/orders/<int:order_id>/contract.pdf")
@access(is_authenticated)
def contract_pdf(order_id):
    return send_contract(contract_for_download(order_id, current_user))


@bp.route("/contracts/verify/<number>")
@access(anyone)
def verify_contract(number):
    code = (request.args.get("code") or "").strip()[:64]
    found = verification.verify(number, code) if code else None
    status = 404 if code and found is None else 200
    return render_template("orders/verify.html", number=number[:40], code=code,
                           found=found, field_label=field_label), status


