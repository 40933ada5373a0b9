"""The technology contract's PDF, for the parties and the bureau (as on the order page)."""
from flask import g

from marketplace.api.spec import FileResponse, operation
from marketplace.api.views import bp
from marketplace.core.permissions import is_authenticated
from marketplace.orders.document_views import contract_for_download, send_contract


@operation(bp, "/orders/<int:order_id>/contract.pdf", "GET", tag="orders",
           summary="The signed technology contract as a PDF (the parties and the bureau; "
                   "404 before signing)",
           responses={200: FileResponse("application/pdf")}, rule=is_authenticated,
           errors=(503,))
def order_contract_pdf(order_id):
    return send_contract(contract_for_download(order_id, g.api_user))
