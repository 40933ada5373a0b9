"""Rows of the access matrix for each later domain, one module each. A module defines:

- ``EXPECTED``: ``{(endpoint, method): row}`` as in the matrix;
- ``URL_VALUES``: ``{endpoint: fn(world, role, variant) -> url values}``;
- ``BODIES``: ``{api endpoint: fn(world, role) -> JSON body}``;
- ``needs(app, endpoint) -> bool`` and ``build(world)``: the objects its routes need,
  built once per test into ``world.extra``;
- ``PREDICATE_MODULES``, ``PREDICATE_TABLE`` (as in the matrix) and
  ``PREDICATE_OBJECTS``: ``{object name: fn(world, role) -> object}``.
"""
from tests.integration.access_rows import (catalogue, claims, exchange, identity, jobs,
                                          orders, paper, payments, plan, registry,
                                          turnover_dashboard, turnover_registry)

ROW_MODULES = (registry, catalogue, payments, orders, claims, turnover_registry,
               turnover_dashboard, exchange, jobs, plan, paper, identity)
