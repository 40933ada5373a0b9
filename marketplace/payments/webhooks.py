"""``POST /payments/webhook``: Stripe (localstripe in development) tells us what happened.

No session and no CSRF token: the ``Stripe-Signature`` header is the authentication.
A forged or missing signature gets 400 and nothing is stored. The app then asks the
gateway for the PaymentIntent the event names and acts on that answer only: an event for
an intent the gateway does not know is recorded and changes nothing. An event is recorded
once by its id; a replay gets 200 and changes nothing, so Stripe stops re-sending it. The
gateway unreachable answers 503, an unexpected error 500, both roll everything back, and
Stripe tries again later.
"""
from flask import Blueprint, jsonify, request

from marketplace.core.errors import DomainError, json_domain_error
from marketplace.core.permissions import access, anyone
from marketplace.extensions import csrf, db
from marketplace.payments import gateway, inbound

bp = Blueprint("payments", __name__, url_prefix="/payments")
csrf.exempt(bp)


@bp.errorhandler(DomainError)
def _domain_error(error):
    db.session.rollback()
    return json_domain_error(error)


@bp.route("/webhook", methods=["POST"])
@access(anyone)
def webhook():
    event = gateway.verify_webhook(request.get_data(cache=False),
                                   request.headers.get("Stripe-Signature", ""))
    confirmed = inbound.confirm_event(event)   # no transaction is open yet
    record = inbound.receive_event(event, confirmed)
    db.session.commit()
    return jsonify(received=True, duplicate=record is None), 200
