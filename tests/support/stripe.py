"""The test run's localstripe (scripts/localstripe_server.py), and Stripe-signed webhooks.

The helpers here do what the card holder's browser (Stripe.js) or Stripe itself would
do; the app under test only ever reaches the gateway through marketplace/payments.
"""
import hashlib
import hmac
import json
import secrets
import time

import requests

# localstripe's card numbers (localstripe/resources.py, PaymentMethod):
VISA = "pm_card_visa"                          # charges succeed
DECLINED = "pm_card_chargeCustomerFail"        # card 4000000000000341: charge declined
# NB: localstripe's pm_card_visa_chargeDeclined (4000000000000002) is declined only when
# attached to a customer; a PaymentIntent with it succeeds.
THREE_D_SECURE_CARD = "4000002760003184"       # confirming needs 3-D Secure


class LocalStripe:
    def __init__(self, base, *, secret_key, webhook_secret):
        self.base = base.rstrip("/")
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.http = requests.Session()
        self.http.trust_env = False  # loopback: never through an HTTP(S)_PROXY
        self.http.auth = (secret_key, "")

    def reset(self):
        """Forget every object, webhook endpoint and idempotency key."""
        self.http.delete(f"{self.base}/_config/reset", timeout=10).raise_for_status()

    def card(self, number):
        """A PaymentMethod for a raw card number, as Stripe.js creates it in the page."""
        response = self.http.post(f"{self.base}/v1/payment_methods", timeout=10, data={
            "type": "card", "card[number]": number, "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"})
        response.raise_for_status()
        return response.json()["id"]

    def authenticate(self, payment_intent_id, client_secret, success=True):
        """The card holder completes (or fails) 3-D Secure, as localstripe's Stripe.js
        does after its confirmation dialog."""
        response = self.http.post(
            f"{self.base}/v1/payment_intents/{payment_intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            data={"client_secret": client_secret}, timeout=10)
        response.raise_for_status()
        return response.json()

    def create_intent(self, amount_fen, payment_method=VISA, *, metadata=None,
                      confirm=True, currency="cny"):
        """A PaymentIntent made at the gateway directly, as if by a request of the app the
        app itself never recorded (or by somebody else)."""
        data = {"amount": amount_fen, "currency": currency, "payment_method": payment_method,
                "payment_method_types[]": "card", "confirm": "true" if confirm else "false"}
        for key, value in (metadata or {}).items():
            data[f"metadata[{key}]"] = value
        response = self.http.post(f"{self.base}/v1/payment_intents", data=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def refund(self, payment_intent_id, amount_fen=None):
        """A refund made at the gateway (from its dashboard, say), not by the app."""
        data = {"payment_intent": payment_intent_id}
        if amount_fen is not None:
            data["amount"] = amount_fen
        response = self.http.post(f"{self.base}/v1/refunds", data=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def payment_intents(self):
        response = self.http.get(f"{self.base}/v1/payment_intents", timeout=10,
                                 params={"limit": 100})
        response.raise_for_status()
        return response.json()["data"]

    def payment_intent(self, payment_intent_id):
        response = self.http.get(f"{self.base}/v1/payment_intents/{payment_intent_id}",
                                 timeout=10)
        response.raise_for_status()
        return response.json()

    def register_webhook(self, url, events=None):
        """Make localstripe deliver its events to ``url``, signed with the app's secret."""
        data = {"url": url, "secret": self.webhook_secret}
        if events:
            data["events[]"] = list(events)
        self.http.post(f"{self.base}/_config/webhooks/test", data=data,
                       timeout=10).raise_for_status()


def signature_header(payload, secret, timestamp=None):
    """Stripe's scheme: ``t=<unix time>,v1=<hex HMAC-SHA256(secret, "t.payload")>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    if isinstance(payload, str):
        payload = payload.encode()
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type, stripe_object, event_id=None, created=None):
    return {"id": event_id or f"evt_{secrets.token_hex(8)}", "object": "event",
            "type": event_type, "created": created or int(time.time()),
            "api_version": "2017-08-15", "livemode": False,
            "data": {"object": stripe_object}}


def intent_object(payment_intent_id, status, amount_fen, *, currency="cny", metadata=None,
                  error_code=None):
    found = {"id": payment_intent_id, "object": "payment_intent", "status": status,
             "amount": amount_fen, "currency": currency, "metadata": metadata or {},
             "client_secret": f"{payment_intent_id}_secret_x", "next_action": None,
             "last_payment_error": None}
    if error_code:
        found["last_payment_error"] = {"code": error_code, "message": "Your card was declined."}
    return found


def charge_object(payment_intent_id, amount_fen, amount_refunded_fen, *, currency="cny"):
    return {"id": f"ch_{secrets.token_hex(6)}", "object": "charge",
            "payment_intent": payment_intent_id, "amount": amount_fen,
            "amount_refunded": amount_refunded_fen, "currency": currency,
            "refunded": amount_refunded_fen >= amount_fen, "status": "succeeded"}


def post_event(client, the_event, secret, *, signature=None):
    """POST ``the_event`` to the app's webhook the way Stripe does."""
    payload = json.dumps(the_event).encode()
    header = signature if signature is not None else signature_header(payload, secret)
    headers = {"Stripe-Signature": header} if header else {}
    return client.post("/payments/webhook", data=payload, headers=headers,
                       content_type="application/json")
