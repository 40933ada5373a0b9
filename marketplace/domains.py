"""Every domain of the marketplace, in the order the app factory wires them.

Each package's ``init_app(app)`` (in its ``__init__.py``) registers its blueprints and
loads the modules that declare its outbox handlers, nightly jobs, job runners, ledger
invariants, claim checks, payment-event subscribers, reference seeders, notification
kinds and labels; it names the models the visitor page cache watches. ``flask wiring``
prints what each one registered. A domain missing here has no pages and none of its
handlers or jobs run; tests/unit/test_wiring.py fails when a declared part is not wired.

Lower domains first, in the layers of `.importlinter`'s "domain-layers" contract: a domain
imports only the domains listed before it. A lower domain announces what happened (its
``signals.py``) or keeps a registry, and the domains above it subscribe or register from
their ``init_app``.
"""
from marketplace import (accounts, agencies, api, catalogue, claims, commissioners, exchange,
                         experts, funds, incentives, integrity, notifications, orders, payments,
                         site, technology_fields, turnover, vouchers, workdays)

DOMAINS = (
    accounts,        # users, roles, organisations, districts, identity numbers and changes
    notifications,   # inbox and e-mail, sent through the outbox
    integrity,       # the barred list and certification lists
    workdays,        # the working-day calendar and its deadlines
    technology_fields,  # the registration system's fields (技术领域), reference data
    funds,           # the ledger's accounts and verbs, and its own invariants
    payments,        # the payment gateway and its webhooks
    agencies,        # the agency registry, admission, service categories
    catalogue,       # offerings, search, scorecards
    vouchers,        # programmes, applications, vouchers
    orders,          # quotes, contracts, co-pay, delivery, acceptance
    claims,          # redemption claims, checks, review, disbursement
    experts,         # the expert pool
    turnover,        # the contract registry, imports, targets, dashboards
    exchange,        # technology results, demands, brokered matching
    commissioners,   # science and technology commissioners
    incentives,      # rewards for registering contracts
    site,            # home page, language, health, the background-jobs page
    api,             # the JSON API over the same services (last: it uses them all)
)


def init_domains(app):
    from marketplace.core import jobs, tasks  # noqa: F401  (core's own handlers and jobs)

    for domain in DOMAINS:
        domain.init_app(app)
