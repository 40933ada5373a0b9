"""The payment gateway: the only code that talks to Stripe (localstripe in development).

- ``gateway``: charge, retrieve, refund, verify_webhook over the official SDK;
- ``services``: Payment records kept in step with Stripe (pay, refresh, refund);
- ``events``: ``@on_payment_event(...)`` for the domains that care (orders);
- ``webhooks``: ``POST /payments/webhook``.
"""
