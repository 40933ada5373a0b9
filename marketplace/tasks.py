"""Imports every module that registers Celery tasks, outbox handlers, nightly jobs or
reference seeders, so the web app and the worker know the same set."""
from marketplace.core import tasks as core_tasks  # noqa: F401
from marketplace.notifications import services as notification_services  # noqa: F401
from marketplace.vouchers import lifecycle as voucher_lifecycle  # noqa: F401
from marketplace.vouchers import tasks as voucher_tasks  # noqa: F401
from marketplace.agencies import reference as agency_reference  # noqa: F401  (seeder)
from marketplace.vouchers import labels as voucher_labels  # noqa: F401
from marketplace.agencies import lifecycle as agency_lifecycle  # noqa: F401
from marketplace.agencies import tasks as agency_tasks  # noqa: F401
from marketplace.catalogue import tasks as catalogue_tasks  # noqa: F401
from marketplace.agencies import labels as agency_labels  # noqa: F401
from marketplace.orders import tasks as order_tasks  # noqa: F401
from marketplace.orders import scorecard as order_scorecard  # noqa: F401  (scorecard source)
from marketplace.claims import tasks as claim_tasks  # noqa: F401
from marketplace.accounts import tasks as account_tasks  # noqa: F401
from marketplace.orders import payment as order_payment  # noqa: F401  (payment events)
from marketplace.turnover import tasks as turnover_tasks  # noqa: F401
from marketplace.turnover import fields as turnover_fields  # noqa: F401  (labels)
from marketplace.core import jobs as core_jobs  # noqa: F401  (the jobs.run handler)
from marketplace.claims import disbursement as claim_disbursement  # noqa: F401  (job runner)
from marketplace.turnover.dashboard import exports as turnover_exports  # noqa: F401  (job runner)
from marketplace.funds import invariants as funds_invariants  # noqa: F401  (ledger verify)
from marketplace.payments import tasks as payment_tasks  # noqa: F401
from marketplace.payments import reconciliation as payment_reconciliation  # noqa: F401
from marketplace.payments import labels as payment_labels  # noqa: F401
from marketplace.commissioners import tasks as commissioner_tasks  # noqa: F401
from marketplace.commissioners import monitoring as commissioner_monitoring  # noqa: F401
from marketplace.experts import tasks as expert_pool_tasks  # noqa: F401
from marketplace.incentives import tasks as incentive_tasks  # noqa: F401
from marketplace.workdays import services as workday_services  # noqa: F401  (seeder)
