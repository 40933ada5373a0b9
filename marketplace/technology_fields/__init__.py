"""Technology fields (技术领域) of the national technology-contract registration system:
reference data under the agencies' categories, the orders' quotes, the exchange's listings
and the turnover registry, so it sits below all of them."""
import sys

from marketplace.core import wiring


def init_app(app):
    """Called by the app factory (marketplace/domains.py)."""
    from marketplace.technology_fields import services
    wiring.register(app, sys.modules[__name__], modules=[services])
