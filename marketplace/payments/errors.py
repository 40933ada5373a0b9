"""What can go wrong with a payment, as domain errors with stable codes.

A declined card is 402 Payment Required, the status Stripe itself answers with: the
request was understood and valid, the card's bank said no. The gateway being unreachable
is 503 (try again later); anything else the gateway refuses is 502, since it means our
request or our configuration is wrong, not the user's input.
"""
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import Conflict, DomainError


class PaymentError(DomainError):
    code = "payment_error"
    status = 402


class CardDeclined(PaymentError):
    code = "card_declined"
    status = 402
    default_message = _l("The card was declined. Please use another card or contact your "
                         "bank.")


class AuthenticationRequired(PaymentError):
    """The bank wants the card holder to confirm (3-D Secure) and they were not there to
    do it, or the check failed."""
    code = "authentication_required"
    status = 402
    default_message = _l("Your bank asks you to confirm this payment. Please complete the "
                         "card check and try again.")


class GatewayUnavailable(PaymentError):
    code = "gateway_unavailable"
    status = 503
    default_message = _l("The payment service cannot be reached at the moment. Please try "
                         "again in a few minutes.")


class GatewayError(PaymentError):
    code = "gateway_error"
    status = 502
    default_message = _l("The payment service could not handle this request. Please try "
                         "again later.")


class PaymentInProgress(Conflict):
    """The same charge is being sent by another request right now (a double submission):
    the gateway charges it once, and the other request records it."""
    code = "payment_in_progress"
    default_message = _l("This payment is being processed right now. Please wait a moment "
                         "and look again.")


class EarlierAttemptUnsettled(Conflict):
    """An attempt the gateway never answered was sent again with another card: the
    gateway keeps the first card for that attempt until it is settled."""
    code = "earlier_attempt_unsettled"
    default_message = _l("An earlier payment attempt with another card is not confirmed by "
                         "the payment service yet. Please pay with the same card, or try "
                         "again in a few minutes.")


class PaymentMethodInvalid(DomainError):
    code = "payment_method_invalid"
    status = 422
    default_message = _l("This card could not be used. Please enter the card details again.")


class WebhookSignatureInvalid(DomainError):
    """Machine-facing (only Stripe calls the webhook): not translated."""
    code = "webhook_signature_invalid"
    status = 400
    default_message = "The Stripe-Signature header is missing or does not match the payload."


class PaymentMismatch(DomainError):
    """An event names an amount or currency other than the Payment's."""
    code = "payment_mismatch"
    status = 409
    default_message = "The event does not match the recorded payment."


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"
    default_message = "Only money received can be refunded, and at most what is left of it."
