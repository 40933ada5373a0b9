"""Access-matrix rows of the turnover dashboard, its exports, the public transparency
page and the stats API (see access_rows/__init__.py). They need no objects: an empty
registry still has a dashboard; ``missing`` asks for a table or a district that does not
exist (404 once past the rule)."""
from marketplace.turnover.dashboard import permissions as dashboard_permissions
from tests.support.access import (ADMIN, AUDITOR, MISSING_ID, NO_TOKEN, OTHERS, REVIEWERS,
                                  SUPERVISOR, VISITOR, LOGIN, by_object)

BUREAU = {VISITOR: LOGIN, REVIEWERS: 200, ADMIN: 200, OTHERS: 403}
BUREAU_MISSING = {VISITOR: LOGIN, REVIEWERS: 404, ADMIN: 404, OTHERS: 403}
BUREAU_JOB = {VISITOR: LOGIN, REVIEWERS: 302, ADMIN: 302, OTHERS: 403}

EXPECTED = {
    ("turnover_dashboard.dashboard", "GET"):        BUREAU,
    ("turnover_dashboard.export_table", "GET"): by_object(
        csv=                                        BUREAU,
        xlsx=                                       BUREAU,
        missing=                                    BUREAU_MISSING),
    # an empty form: this year's registry as CSV, exported by a job (302 to its page)
    ("turnover_dashboard.export_registry", "POST"): BUREAU_JOB,
    ("transparency.transparency", "GET"):           {OTHERS: 200},
    ("api.turnover_stats", "GET"): by_object(
        city=                                       {**NO_TOKEN, REVIEWERS: 200, ADMIN: 200,
                                                     OTHERS: 403},
        missing=                                    {**NO_TOKEN, REVIEWERS: 404, ADMIN: 404,
                                                     OTHERS: 403}),
}


def _table(world, role, variant):
    if variant == "missing":
        return {"key": "nothing", "file_format": "csv"}
    return {"key": "months" if variant == "csv" else "all", "file_format": variant}


def _stats(world, role, variant):
    return {"district": MISSING_ID} if variant == "missing" else {}


URL_VALUES = {
    "turnover_dashboard.export_table": _table,
    "api.turnover_stats": _stats,
}
BODIES = {}
PREDICATE_MODULES = (dashboard_permissions,)
PREDICATE_TABLE = {
    ("can_view_turnover_dashboard", None):          {AUDITOR, SUPERVISOR, ADMIN},
    ("can_export_turnover", None):                  {AUDITOR, SUPERVISOR, ADMIN},
}
PREDICATE_OBJECTS = {}


def needs(app, endpoint):
    return False


def build(world):
    pass
