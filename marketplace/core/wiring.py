"""What each domain adds to the app, said in one place per domain.

A domain's package (``marketplace/<domain>/__init__.py``) has one ``init_app(app)``,
called by the app factory from the list in ``marketplace/domains.py``. It calls
:func:`register` once with its blueprints and the modules that declare its parts (outbox
handlers, nightly jobs, job runners, ledger invariants, claim checks, payment-event
subscribers, reference seeders, notification kinds, labels), and names the models whose
changes the visitor page cache must see. ``flask wiring`` prints the result: every domain
and what it registers. tests/unit/test_wiring.py fails when a part is declared in a module
no ``init_app`` loads (it would silently never run).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class DomainParts:
    name: str
    summary: str
    blueprints: tuple
    modules: tuple


def register(app, package, *, blueprints=(), modules=()):
    """Register ``blueprints`` on ``app`` and note ``modules`` (already imported by the
    caller: their decorators filled the registries) as the domain ``package``'s parts."""
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    name = package.__name__.rsplit(".", 1)[-1]
    summary = (package.__doc__ or name).strip().splitlines()[0]
    parts = DomainParts(name, summary, tuple(bp.name for bp in blueprints),
                        tuple(module.__name__ for module in modules))
    domains = app.extensions.setdefault("wiring", {})
    if name in domains:
        raise RuntimeError(f"domain {name!r} registered twice")
    domains[name] = parts
    return parts


def registered_parts(app):
    return tuple(app.extensions.get("wiring", {}).values())


def core_registries():
    """The registries core keeps, as ``{name: [function, ...]}``."""
    from marketplace.core import jobs, ledger, outbox, tasks
    return {
        "outbox handlers": list(outbox.registered_handlers().values()),
        "nightly jobs": list(tasks.NIGHTLY_JOBS),
        "job runners": [kind.run for kind in jobs.registered_kinds()],
        "ledger invariants": list(ledger.registered_invariants()),
    }


def describe(app):
    """Lines for ``flask wiring``: per domain, its blueprints, modules and how many of
    core's registries' entries each module holds."""
    registries = core_registries()
    lines = []
    for parts in registered_parts(app):
        lines.append(f"{parts.name}: {parts.summary}")
        if parts.blueprints:
            lines.append("    blueprints: " + ", ".join(parts.blueprints))
        for module in parts.modules:
            counts = [f"{len(found)} {name}" for name, funcs in registries.items()
                      if (found := [f for f in funcs if f.__module__ == module])]
            lines.append(f"    {module}" + (f" ({', '.join(counts)})" if counts else ""))
    return lines
