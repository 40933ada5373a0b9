"""The search table kept for the catalogue (``catalogue_search``, models.CatalogueEntry).

The public search used to join offerings, agencies, organisations, scorecards and
districts and plan that on every request (~22 ms at 10,000 offerings). It now reads one
row per offering it may show, holding every column it filters, sorts and lists by.

One definition of what the public search may show, :func:`visible_rows` (the services'
``visible_condition`` over the joined sources), serves the full rebuild, the refresh of
the rows a change touches, and :func:`differences`, the check that the table says exactly
what the offerings say.

The table is kept in the transaction of every change, by SQLAlchemy session events, so no
service has to remember it:

- after each flush, the rows of every offering whose copied columns (or visibility)
  changed, and of every offering of an agency, organisation, scorecard or category whose
  copied columns changed, are deleted and upserted again from the sources;
- an ORM bulk statement on one of those models (``session.execute(insert(Offering),
  rows)``, ``update(AgencyProfile)...``) names no rows: the table is rebuilt after it.

SQL sent around the ORM (``text()``, a bare connection) is not seen; ``flask catalogue
check-search`` lists what differs and ``flask catalogue rebuild-search`` rebuilds.
"""
from itertools import chain

from sqlalchemy import Column, delete, event, inspect, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyProfile, ServiceCategory
from marketplace.catalogue.models import AgencyScorecard, CatalogueEntry, Offering
from marketplace.catalogue.services import visible_condition

TABLE = CatalogueEntry.__table__
# Past this many offerings in one flush a rebuild is cheaper than a list of keys.
MAX_KEYS = 1000


def _sources():
    """The search table's columns, in table order, as read from the sources."""
    return {
        "offering_id": Offering.id, "agency_id": Offering.agency_id,
        "category_id": Offering.category_id, "category_code": ServiceCategory.code,
        "district_id": Organisation.district_id, "agency_type": AgencyProfile.agency_type,
        "in_city": AgencyProfile.in_city, "agency_name": Organisation.name,
        "title": Offering.title, "price_fen": Offering.price_fen,
        "price_low_fen": Offering.price_low_fen, "price_high_fen": Offering.price_high_fen,
        "accepts_vouchers": Offering.accepts_vouchers, "updated_dt": Offering.updated_dt,
        "rating_avg_x100": AgencyScorecard.rating_avg_x100,
        "orders_completed": AgencyScorecard.orders_completed,
        "search_title": Offering.search_title, "search_body": Offering.search_body,
    }


COLUMNS = tuple(_sources())


def visible_rows():
    """SELECT of the table's rows from the sources: every offering the search may show."""
    sources = _sources()
    return (select(*(column.label(name) for name, column in sources.items()))
            .select_from(Offering)
            .join(AgencyProfile, AgencyProfile.organisation_id == Offering.agency_id)
            .join(Organisation, Organisation.id == AgencyProfile.organisation_id)
            .join(ServiceCategory, ServiceCategory.id == Offering.category_id)
            .outerjoin(AgencyScorecard,
                       AgencyScorecard.agency_id == AgencyProfile.organisation_id)
            .where(visible_condition()))


def _scope(offering_ids, agency_ids, category_ids, offering, agency, category):
    return or_(*(column.in_(sorted(keys)) for column, keys in
                 ((offering, offering_ids), (agency, agency_ids), (category, category_ids))
                 if keys))


# pg_advisory_xact_lock(LOCK_CLASS, agency id) serialises the refreshes of one agency's
# rows; (LOCK_CLASS, 0), shared by them, is taken whole by a refresh of categories or a
# rebuild, which may touch any agency's rows.
LOCK_CLASS = 0x4353    # "CS": catalogue search


def _serialise(connection, agency_ids=(), everything=False):
    """Wait for every other transaction refreshing the same rows to end. Without it, under
    READ COMMITTED, a DELETE that waited for a concurrent refresh skips the row that
    refresh wrote, and the INSERT from the sources then adds nothing: an offering taken
    down while its agency's scorecard was refreshed stayed searchable. Held to commit, so
    the next refresh's statements see this one's rows. SQLite has one writer at a time."""
    if connection.dialect.name != "postgresql":
        return
    if everything:
        connection.execute(_TAKE_ALL, {"lock_class": LOCK_CLASS})
        return
    connection.execute(_SHARE_ALL, {"lock_class": LOCK_CLASS})
    for agency in sorted(agency_ids):   # one order for everyone: no deadlock between them
        connection.execute(_TAKE_AGENCY, {"lock_class": LOCK_CLASS, "agency": agency})


_TAKE_ALL = text("SELECT pg_advisory_xact_lock(:lock_class, 0)")
_SHARE_ALL = text("SELECT pg_advisory_xact_lock_shared(:lock_class, 0)")
_TAKE_AGENCY = text("SELECT pg_advisory_xact_lock(:lock_class, :agency)")


def _upsert(connection, rows):
    """INSERT the rows, or UPDATE the one already there for the offering."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TABLE).from_select(COLUMNS, rows)
    return connection.execute(statement.on_conflict_do_update(
        index_elements=[TABLE.c.offering_id],
        set_={name: statement.excluded[name] for name in COLUMNS if name != "offering_id"}))


def refresh(connection, offering_ids=(), agency_ids=(), category_ids=(), lock_agency_ids=()):
    """Make the rows of these offerings, and of every offering of these agencies and
    categories, say what the sources say: deleted, then upserted from ``visible_rows``.
    ``lock_agency_ids``: the agencies of ``offering_ids`` (serialised with ``agency_ids``)."""
    if not (offering_ids or agency_ids or category_ids):
        return
    _serialise(connection, set(agency_ids) | set(lock_agency_ids),
               everything=bool(category_ids))
    keys = (offering_ids, agency_ids, category_ids)
    connection.execute(delete(TABLE).where(_scope(
        *keys, TABLE.c.offering_id, TABLE.c.agency_id, TABLE.c.category_id)))
    _upsert(connection, visible_rows().where(
        _scope(*keys, Offering.id, Offering.agency_id, Offering.category_id)))


def rebuild(connection):
    """The whole table again from the sources; returns the number of rows."""
    _serialise(connection, everything=True)
    connection.execute(delete(TABLE))
    return _upsert(connection, visible_rows()).rowcount


def differences(session, limit=20):
    """What the table says differently from the sources, one line each (at most
    ``limit``): [] when it says exactly what the offerings say."""
    expected = {row.offering_id: row._asdict() for row in session.execute(visible_rows())}
    found = {row.offering_id: row._asdict()
             for row in session.execute(select(*(TABLE.c[name] for name in COLUMNS)))}
    lines = [f"offering {key}: missing" for key in sorted(expected.keys() - found.keys())]
    lines += [f"offering {key}: listed but not visible"
              for key in sorted(found.keys() - expected.keys())]
    for key in sorted(expected.keys() & found.keys()):
        lines += [f"offering {key}: {name} is {found[key][name]!r}, the sources say "
                  f"{value!r}" for name, value in expected[key].items()
                  if found[key][name] != value]
    return lines[:limit]


# --- kept in the transaction of every change ---------------------------------------------

def _watched_columns(model):
    """The attributes of ``model`` the table copies, joins on or decides visibility by."""
    table = model.__table__
    columns = {c.expression for c in _sources().values()}
    columns |= {c for c in visitors.iterate(visible_rows().whereclause)
                if isinstance(c, Column)}
    columns = {c for c in columns if c.table is table}
    mapper = inspect(model)
    return frozenset(mapper.get_property_by_column(c).key for c in columns)


# model -> (which keys its rows name, the key of an object, does a new row matter): a new
# agency, organisation or category has no offering yet (one made with it is new too).
KEYS = {
    Offering: ("offering_ids", lambda o: o.id, True),
    AgencyScorecard: ("agency_ids", lambda card: card.agency_id, True),
    AgencyProfile: ("agency_ids", lambda profile: profile.organisation_id, False),
    Organisation: ("agency_ids", lambda organisation: organisation.id, False),
    ServiceCategory: ("category_ids", lambda category: category.id, False),
}
WATCHED = {}


def _watched():
    if not WATCHED:
        WATCHED.update({model: _watched_columns(model) for model in KEYS})
    return WATCHED


def _changed(obj, names):
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def changed_keys(session):
    """The keys of the rows this flush may have changed (``refresh``'s arguments)."""
    keys = {"offering_ids": set(), "agency_ids": set(), "category_ids": set(),
            "lock_agency_ids": set()}
    watched = _watched()
    new, dirty = session.new, session.dirty      # each a set built anew on every access
    for obj in chain(new, dirty, session.deleted):
        model = type(obj)
        if model not in KEYS:
            continue
        kind, key_of, new_matters = KEYS[model]
        if obj in new and not new_matters:
            continue
        if obj in dirty and not _changed(obj, watched[model]):
            continue
        keys[kind].add(key_of(obj))
        if model is Offering and obj.agency_id is not None:
            keys["lock_agency_ids"].add(obj.agency_id)
    return keys


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session, flush_context):
    keys = changed_keys(session)
    count = sum(len(keys[kind]) for kind in ("offering_ids", "agency_ids", "category_ids"))
    if count > MAX_KEYS:
        rebuild(session.connection())
    elif count:
        refresh(session.connection(), **keys)


@event.listens_for(Session, "do_orm_execute")
def _rebuild_after_bulk(state):
    """A bulk statement on a watched model: run it, then rebuild (it names no rows)."""
    if not (state.is_insert or state.is_update or state.is_delete) \
            or state.bind_mapper is None or state.bind_mapper.class_ not in KEYS:
        return None
    result = state.invoke_statement()
    # rows still to be read are read first: the rebuild runs on the same connection
    frozen = result.freeze() if state.statement.returning_column_descriptions else None
    rebuild(state.session.connection())
    return frozen() if frozen is not None else result
