"""Access-matrix rows of turnover dashboard (see access_rows/__init__.py)."""
EXPECTED = {}
URL_VALUES = {}
BODIES = {}
PREDICATE_MODULES = ()
PREDICATE_TABLE = {}
PREDICATE_OBJECTS = {}


def needs(app, endpoint):
    return False


def build(world):
    pass
