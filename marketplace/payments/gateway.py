"""The Stripe gateway: the only module that calls Stripe (localstripe in development).

Every call builds on the official SDK's requests-based HTTP client, pointed at
``STRIPE_API_BASE``, with short timeouts and one network retry (safe, because every
money-moving call carries an idempotency key). Answers come back as small frozen
results; failures of the gateway as the domain errors of ``payments.errors``.

Only parameters localstripe accepts are sent: a PaymentIntent is created with
``amount, currency, payment_method, payment_method_types, confirm, metadata`` (localstripe
answers "Unexpected description" / "Unexpected return_url" to anything else), so give
``return_url`` only against the real Stripe, for redirect-based payment methods.

The SDK is imported by the functions that call it, not by this module: it brings aiohttp
and requests, some 30 MB that every web worker would carry from its start for the few
requests that pay (issue 23).
"""
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app

from marketplace.payments.errors import (AuthenticationRequired, CardDeclined, GatewayError,
                                         GatewayUnavailable, PaymentInProgress,
                                         PaymentMethodInvalid, EarlierAttemptUnsettled,
                                         WebhookSignatureInvalid)

log = logging.getLogger(__name__)

SUCCEEDED, REQUIRES_ACTION, PROCESSING, FAILED = ("succeeded", "requires_action",
                                                  "processing", "failed")
_INTENT_STATUSES = {"succeeded": SUCCEEDED, "requires_action": REQUIRES_ACTION,
                    "requires_source_action": REQUIRES_ACTION, "processing": PROCESSING,
                    "requires_capture": PROCESSING}
# Stripe's codes for "the card holder must (or failed to) confirm with their bank".
_AUTHENTICATION_CODES = {"authentication_required", "payment_intent_authentication_failure"}


@dataclass(frozen=True)
class IntentResult:
    """Where a PaymentIntent stands, as the app needs it.

    ``status`` is ``succeeded``, ``requires_action`` (3-D Secure: hand ``client_secret``
    to Stripe.js, e.g. ``stripe.confirmCardPayment(client_secret)``, to finish),
    ``processing`` (not final; a webhook follows) or ``failed`` (``error_code``,
    ``decline_code`` and ``error_message`` say why; ``payment_intent_id`` may be None
    when the gateway refused before naming one, as localstripe does on a decline).
    """
    payment_intent_id: str | None
    status: str
    amount_fen: int
    currency: str
    client_secret: str | None = None
    next_action: dict | None = None
    error_code: str | None = None
    decline_code: str | None = None
    error_message: str | None = None
    amount_refunded_fen: int = 0
    metadata: dict = field(default_factory=dict)

    @property
    def succeeded(self):
        return self.status == SUCCEEDED

    def error(self):
        """The domain error to show for a failed charge, else None."""
        if self.status != FAILED:
            return None
        return failure_error(self.error_code, self.decline_code)


def failure_error(error_code, decline_code=None):
    """CardDeclined or AuthenticationRequired, after Stripe's code for a failed charge."""
    details = {"decline_code": decline_code} if decline_code else {}
    if error_code in _AUTHENTICATION_CODES:
        return AuthenticationRequired(details=details)
    return CardDeclined(details=details)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str          # succeeded, pending, failed, canceled (Stripe's words)
    amount_fen: int
    payment_intent_id: str


def charge(amount_fen, *, currency="cny", payment_method, idempotency_key, metadata=None,
           return_url=None):
    """Create and confirm a PaymentIntent for ``amount_fen`` (fen: the smallest unit of
    CNY) with ``payment_method`` (a PaymentMethod id such as ``pm_card_visa``).

    A declined card or failed authentication is an answer, not an exception: the result
    says ``failed`` so the caller can record it. Raises GatewayUnavailable when Stripe
    cannot be reached and GatewayError when it refuses the request itself.
    """
    import stripe

    _check_amount(amount_fen)
    _check_key(idempotency_key)
    params = {"amount": amount_fen, "currency": currency, "payment_method": payment_method,
              "payment_method_types": ["card"], "confirm": True,
              "metadata": _metadata(metadata)}
    if return_url:
        params["return_url"] = return_url
    try:
        intent = _client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key})
    except stripe.CardError as exc:
        return _declined(exc, amount_fen, currency)
    except stripe.StripeError as exc:
        raise _domain_error(exc, "charge")
    return _intent_result(intent)


def retrieve(payment_intent_id):
    """The PaymentIntent as it stands now (a read: Stripe takes no idempotency key)."""
    import stripe

    try:
        intent = _client().v1.payment_intents.retrieve(
            payment_intent_id, params={"expand": ["latest_charge"]})
    except stripe.StripeError as exc:
        raise _domain_error(exc, "retrieve")
    return _intent_result(intent)


def cancel(payment_intent_id):
    """Cancel a PaymentIntent still waiting for the card holder. A gateway that refuses
    (the intent went through meanwhile, or was cancelled already) is answered with the
    intent as it stands, for the caller to record."""
    import stripe

    try:
        intent = _client().v1.payment_intents.cancel(payment_intent_id)
    except stripe.InvalidRequestError as exc:
        if (exc.http_status or 0) >= 500:
            raise _domain_error(exc, "cancel")
        log.info("cancel of %s refused (%s): reading where it stands", payment_intent_id,
                 exc.user_message or exc)
        return retrieve(payment_intent_id)
    except stripe.StripeError as exc:
        raise _domain_error(exc, "cancel")
    return _intent_result(intent)


def list_intents(created_from, created_to, *, page_size=100, max_pages=200):
    """Every PaymentIntent created in ``[created_from, created_to]`` (unix seconds), read
    page by page (newest first). localstripe takes no ``created`` filter, so the window is
    applied here."""
    import stripe

    found, starting_after = [], None
    for _page in range(max_pages):
        params = {"limit": page_size}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            page = _client().v1.payment_intents.list(params=params)
        except stripe.StripeError as exc:
            raise _domain_error(exc, "list")
        items = [item.to_dict() for item in page.data]
        found += [intent_result_from(item) for item in items
                  if created_from <= int(item.get("created") or 0) <= created_to]
        if not page.has_more or not items:
            break
        starting_after = items[-1]["id"]
    return found


def refund(payment_intent_id, amount_fen=None, *, idempotency_key):
    """Refund ``amount_fen`` (all of it when None) of a succeeded PaymentIntent."""
    import stripe

    _check_key(idempotency_key)
    params = {"payment_intent": payment_intent_id}
    if amount_fen is not None:
        _check_amount(amount_fen)
        params["amount"] = amount_fen
    try:
        found = _client().v1.refunds.create(params=params,
                                            options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        raise _domain_error(exc, "refund")
    return RefundResult(refund_id=found.id, status=found.status, amount_fen=found.amount,
                        payment_intent_id=payment_intent_id)


def verify_webhook(payload_bytes, signature_header):
    """The event of a webhook request as a plain dict, once its ``Stripe-Signature``
    (``t=<unix time>,v1=<HMAC-SHA256 of "t.payload" with STRIPE_WEBHOOK_SECRET>``) checks
    out and is at most five minutes old (Stripe's tolerance, against replays of old
    captures). Raises WebhookSignatureInvalid otherwise."""
    import stripe

    if not signature_header:
        raise WebhookSignatureInvalid()
    try:
        stripe.Webhook.construct_event(payload_bytes, signature_header,
                                       current_app.config["STRIPE_WEBHOOK_SECRET"])
    except stripe.SignatureVerificationError:
        raise WebhookSignatureInvalid()
    except ValueError:  # signed, but not JSON
        raise WebhookSignatureInvalid("The payload is not a Stripe event.",
                                      code="webhook_payload_invalid")
    # The SDK's Event object is a lazy StripeObject; the app wants plain data.
    event = json.loads(payload_bytes)
    data = event.get("data") if isinstance(event, dict) else None
    if not (isinstance(event, dict) and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str) and isinstance(data, dict)
            and isinstance(data.get("object"), dict)):
        raise WebhookSignatureInvalid("The payload is not a Stripe event.",
                                      code="webhook_payload_invalid")
    return event


# --- the SDK client ----------------------------------------------------------------------

def _client():
    config = current_app.config
    return _client_for(config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"].rstrip("/"),
                       float(config["STRIPE_CONNECT_TIMEOUT_SECONDS"]),
                       float(config["STRIPE_READ_TIMEOUT_SECONDS"]),
                       int(config["STRIPE_MAX_NETWORK_RETRIES"]))


@lru_cache(maxsize=8)
def _client_for(api_key, api_base, connect_timeout, read_timeout, retries):
    """One client per configuration: it keeps a requests session per thread, so
    connections to the gateway are reused. Keyed on the settings, so a test (or an
    operator) that changes STRIPE_API_BASE gets a client for the new address."""
    import stripe

    return stripe.StripeClient(
        api_key, base_addresses={"api": api_base}, max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout)))


# --- answers and errors ----------------------------------------------------------------

def _intent_result(intent):
    return intent_result_from(intent.to_dict())  # StripeObjects have no .get since v15


def intent_result_from(data):
    """An IntentResult from a PaymentIntent as plain data (an API answer or the object
    of a webhook event)."""
    status = _INTENT_STATUSES.get(data.get("status"), FAILED)
    error = data.get("last_payment_error") or {}
    if status == FAILED and not error:
        error = {"code": data.get("status")}  # e.g. canceled
    # latest_charge is an id unless expanded (retrieve expands it; localstripe always does)
    charge_data = data.get("latest_charge")
    refunded = charge_data.get("amount_refunded", 0) if isinstance(charge_data, dict) else 0
    action_needed = status == REQUIRES_ACTION
    return IntentResult(
        payment_intent_id=data.get("id"), status=status,
        amount_fen=int(data.get("amount") or 0), currency=data.get("currency") or "",
        client_secret=data.get("client_secret") if action_needed else None,
        next_action=data.get("next_action") if action_needed else None,
        error_code=error.get("code") if status == FAILED else None,
        decline_code=error.get("decline_code") if status == FAILED else None,
        error_message=error.get("message") if status == FAILED else None,
        amount_refunded_fen=int(refunded or 0), metadata=dict(data.get("metadata") or {}))


def _declined(exc, amount_fen, currency):
    # The real Stripe names the PaymentIntent in the error; localstripe does not.
    intent = getattr(exc.error, "payment_intent", None) if exc.error else None
    decline_code = getattr(exc.error, "decline_code", None) if exc.error else None
    log.info("card declined: %s (%s)", exc.code, decline_code)
    return IntentResult(
        payment_intent_id=getattr(intent, "id", None), status=FAILED, amount_fen=amount_fen,
        currency=currency, error_code=exc.code or "card_declined", decline_code=decline_code,
        error_message=exc.user_message)


def _domain_error(exc, what):
    """Turn an SDK exception into the domain error the user gets to see."""
    import stripe

    if isinstance(exc, stripe.CardError):
        error = AuthenticationRequired() if exc.code in _AUTHENTICATION_CODES \
            else CardDeclined(details={"decline_code": getattr(exc.error, "decline_code",
                                                                None)})
    elif isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (
            isinstance(exc, stripe.APIError) and (exc.http_status or 500) >= 500):
        error = GatewayUnavailable()
    elif exc.http_status == 409:
        # the same key in flight elsewhere: a double submission
        error = PaymentInProgress()
    elif isinstance(exc, stripe.IdempotencyError):
        # an attempt the gateway never answered, sent again with another card
        error = EarlierAttemptUnsettled()
    elif what == "charge" and (exc.http_status == 404 or exc.param == "payment_method"):
        # the card (PaymentMethod) named is unknown or unusable: the user's input
        error = PaymentMethodInvalid()
    else:
        error = GatewayError(details={"gateway_status": exc.http_status,
                                      "gateway_code": exc.code})
    log.warning("stripe %s failed: %s %s %s (request %s)", what, type(exc).__name__,
                exc.http_status, exc.user_message or str(exc), exc.request_id)
    return error


def _metadata(metadata):
    # Stripe keeps metadata as strings (keys up to 40, values up to 500 characters).
    return {str(key)[:40]: str(value)[:500] for key, value in (metadata or {}).items()}


def _check_amount(amount_fen):
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValueError(f"amount_fen must be a positive integer, not {amount_fen!r}")


def _check_key(idempotency_key):
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValueError("every call that moves money needs an idempotency key "
                         "(1 to 255 characters)")
