"""Technology-contract turnover: the registry, imports, targets, dashboard and exports."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.integrity.invoices import register_source
    from marketplace.orders import signals as order_signals
    from marketplace.turnover import labels, tasks
    from marketplace.turnover.dashboard import exports
    from marketplace.turnover.dashboard import public_views as transparency_views
    from marketplace.turnover.dashboard import views as dashboard_views
    from marketplace.turnover.imports import views as import_views
    from marketplace.turnover.registry import field_views, invoices, registration
    from marketplace.turnover.registry import views as registry_views
    from marketplace.turnover.targets import views as target_views
    # in the signing (cancelling) transaction: a platform contract is registered with it
    order_signals.contract_signed.connect(registration.register_platform_contract)
    order_signals.contract_cancelled.connect(registration.cancel_platform_contract)
    order_signals.registration_asked.connect(registration.state_of_platform_contract)
    register_source(invoices.SOURCE)   # an imported registration's invoice is used once
    wiring.register(app, sys.modules[__name__],
                    blueprints=[registry_views.bp, import_views.bp, target_views.bp,
                                dashboard_views.bp, transparency_views.bp, field_views.bp],
                    modules=[tasks, exports, labels])
