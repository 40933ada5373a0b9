"""Offerings: publishing, editing, withdrawing, moderation; and the catalogue query.

An offering is visible to everyone while it is published and its agency is admitted
(``visible_condition``); a suspended or removed agency's offerings disappear at once. The
search reads the table kept for it (catalogue_search, search_table.py), which copies the
visible offerings' columns in the transaction of every change to them, so a search is one
statement on one table (two for some one-term searches, see SearchPage) plus a bounded
count."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, desc, func, literal, nulls_last, select
from sqlalchemy.orm import aliased, defer, joinedload, lazyload

from marketplace.accounts.models import District, Organisation
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, AgencyType,
                                         ServiceCategory)
from marketplace.catalogue import search
from marketplace.catalogue.models import (CatalogueEntry, Offering, OfferingStatus,
                                          PriceModel)
from marketplace.core import audit, outbox
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.pagination import total_told_by_page
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

OFFERING_FIELDS = ("title", "category_id", "description", "deliverables", "price_model",
                   "price_fen", "guide_min_fen", "guide_max_fen", "typical_duration_days",
                   "accepts_vouchers")
SORTS = ("relevance", "newest", "price_asc", "price_desc", "rating", "orders")
COUNT_LIMIT = 1000   # a search counts its matches up to here, then says "more than"
# A page ending past this many rows is not looked for among the title matches first: when
# fewer titles hold the term than the page needs, the ones ranked were ranked in vain
# (at worst all the matches twice), so at most this many.
TITLE_FIRST_DEPTH = 1000


class CorrectBeforePublishing(Conflict):
    code = "correct_before_publishing"
    default_message = _l("This offering was taken down by the bureau. Correct what the "
                         "reason names first: it cannot be published again unchanged.")


class AgencyNotActive(Conflict):
    code = "agency_not_active"
    default_message = _l("Only agencies admitted to the registry and active can publish "
                         "offerings.")


def visible_condition():
    return and_(Offering.status == OfferingStatus.PUBLISHED,
                AgencyProfile.status == AgencyStatus.ADMITTED)


def is_visible(offering):
    return (offering.status == OfferingStatus.PUBLISHED
            and offering.agency.status == AgencyStatus.ADMITTED)


def _validated(fields):
    price_model = PriceModel(fields["price_model"])
    fields["price_model"] = price_model
    if price_model == PriceModel.FIXED:
        if not fields.get("price_fen") or fields["price_fen"] <= 0:
            raise ValidationFailed(_l("Give the fixed price."), details={"field": "price"})
        fields["guide_min_fen"] = fields["guide_max_fen"] = None
    else:
        fields["price_fen"] = None
        low, high = fields.get("guide_min_fen"), fields.get("guide_max_fen")
        if low is not None and high is not None and low > high:
            raise ValidationFailed(_l("The lower end of the guide range is above its upper "
                                      "end."), details={"field": "guide_min"})
        if (low is not None and low < 0) or (high is not None and high < 0):
            raise ValidationFailed(_l("Amounts cannot be negative."),
                                   details={"field": "guide_min"})
    category = (db.session.get(ServiceCategory, fields["category_id"])
                if fields.get("category_id") is not None else None)
    if category is None or not category.is_active:
        raise ValidationFailed(_l("Choose a category from the list."),
                               details={"field": "category_id"})
    if fields["typical_duration_days"] is None or fields["typical_duration_days"] < 1:
        raise ValidationFailed(_l("The typical duration is at least one day."),
                               details={"field": "typical_duration_days"})
    return fields


def _apply(offering, fields):
    for name, value in fields.items():
        setattr(offering, name, value)
    if offering.price_model == PriceModel.FIXED:
        offering.price_low_fen = offering.price_high_fen = offering.price_fen
    else:
        low, high = offering.guide_min_fen, offering.guide_max_fen
        offering.price_low_fen = low if low is not None else high
        offering.price_high_fen = high if high is not None else low
    reindex(offering)


def reindex(offering):
    # by id: after a change of category_id the loaded relationship still holds the old one
    category = db.session.get(ServiceCategory, offering.category_id)
    agency = db.session.get(Organisation, offering.agency_id)
    offering.search_title = search.index_terms(offering.title)
    offering.search_body = search.index_terms(
        offering.description, offering.deliverables, category.name_zh, category.name_en,
        agency.name)


def create_offering(profile, actor, **fields):
    if profile.status != AgencyStatus.ADMITTED:
        raise AgencyNotActive()
    fields = _validated({name: fields.get(name) for name in OFFERING_FIELDS})
    offering = Offering(agency_id=profile.organisation_id, status=OfferingStatus.PUBLISHED,
                        needs_check=True)
    _apply(offering, fields)
    db.session.add(offering)
    db.session.flush()
    audit.record(offering, "create", actor=actor, after=OfferingStatus.PUBLISHED,
                 data=_audit_data(offering))
    return offering


def update_offering(offering, actor, **fields):
    if offering.agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotActive()
    merged = {name: getattr(offering, name) for name in OFFERING_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in OFFERING_FIELDS})
    merged = _validated(merged)
    # a save that changes nothing is nothing to check, and no correction of a take-down
    changed = any(getattr(offering, name) != merged[name] for name in OFFERING_FIELDS)
    before = _audit_data(offering)
    _apply(offering, merged)
    offering.updated_dt = now_utc()
    offering.needs_check = offering.needs_check or changed
    db.session.flush()
    after = _audit_data(offering)
    audit.record(offering, "edit", actor=actor,
                 data={"changed": {k: [before[k], after[k]] for k in after
                                   if before[k] != after[k]}})
    return offering


def _audit_data(offering):
    return {"title": offering.title, "category_id": offering.category_id,
            "price_model": offering.price_model.value, "price_fen": offering.price_fen,
            "guide_min_fen": offering.guide_min_fen, "guide_max_fen": offering.guide_max_fen,
            "typical_duration_days": offering.typical_duration_days,
            "accepts_vouchers": offering.accepts_vouchers,
            "description_length": len(offering.description or ""),
            "deliverables_length": len(offering.deliverables or "")}


def withdraw_offering(offering, actor):
    transition(offering, "withdraw", actor=actor)
    offering.updated_dt = now_utc()
    db.session.flush()
    return offering


def publish_offering(offering, actor):
    """Publish again after a withdrawal, or after a take-down once the offering was
    edited since; it waits for a check again."""
    if offering.agency.status != AgencyStatus.ADMITTED:
        raise AgencyNotActive()
    # a take-down clears needs_check and an edit sets it: unset, nothing was corrected
    if offering.status == OfferingStatus.TAKEN_DOWN and not offering.needs_check:
        raise CorrectBeforePublishing(details={"reason": offering.takedown_reason})
    transition(offering, "publish", actor=actor)
    offering.updated_dt = now_utc()
    offering.needs_check = True
    offering.takedown_reason = None
    db.session.flush()
    return offering


def mark_checked(offering, actor):
    offering.needs_check = False
    offering.checked_by_id = actor.id
    offering.checked_dt = now_utc()
    audit.record(offering, "moderation_check", actor=actor)
    db.session.flush()
    return offering


def take_down(offering, actor, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_l("Please give a reason."), details={"field": "reason"},
                               code="reason_required")
    transition(offering, "take_down", actor=actor, data={"reason": reason})
    offering.takedown_reason = reason
    offering.needs_check = False
    offering.checked_by_id = actor.id
    offering.checked_dt = now_utc()
    outbox.emit("catalogue.offering_taken_down", offering_id=offering.id)
    db.session.flush()
    return offering


def offerings_of(agency_id):
    return select(Offering).where(Offering.agency_id == agency_id).order_by(
        Offering.updated_dt.desc(), Offering.id.desc())


def agency_for_page(agency_id):
    """The agency of its public page with its organisation, district and categories, in one
    statement (the categories would otherwise be a second)."""
    return db.session.get(AgencyProfile, agency_id,
                          options=[joinedload(AgencyProfile.categories)])


# Not on the agency's page, and the largest columns of a row: the search terms alone are
# ~2 kB an offering.
_NOT_ON_AGENCY_PAGE = ("description", "deliverables", "search_title", "search_body",
                       "takedown_reason")


def offerings_for_agency_page(agency_id):
    """The agency's published offerings, newest change first, with their categories. Their
    agency is the page's, already in the session: it is not joined in again."""
    return (offerings_of(agency_id).where(Offering.status == OfferingStatus.PUBLISHED)
            .options(lazyload(Offering.agency),
                     *(defer(getattr(Offering, name)) for name in _NOT_ON_AGENCY_PAGE)))


def moderation_queue():
    """Published offerings not yet checked, the oldest change first."""
    return (select(Offering).join(Offering.agency)
            .where(visible_condition(), Offering.needs_check.is_(True))
            .order_by(Offering.updated_dt, Offering.id))


# --- the catalogue --------------------------------------------------------------------

@dataclass
class CatalogueQuery:
    q: str = ""
    category: str | None = None          # a category code; its sub-categories included
    district: str | None = None          # a district code
    agency_type: str | None = None
    location: str | None = None          # "in_city" | "out_of_town"
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    voucher: bool | None = None
    min_rating: int | None = None        # 1..5
    agency_id: int | None = None
    sort: str = "relevance"
    terms: list = field(default_factory=list)

    def __post_init__(self):
        self.terms = search.query_terms(self.q)
        if self.sort not in SORTS or (self.sort == "relevance" and not self.terms):
            self.sort = "relevance" if self.terms else "newest"


def _category_tree(code):
    """The ids of the category with this code and of every category below it in the
    tree, as a subquery (recursive, so the search stays one statement)."""
    tree = (select(ServiceCategory.id).where(ServiceCategory.code == code)
            .cte("category_tree", recursive=True))
    below = aliased(ServiceCategory)
    tree = tree.union(select(below.id).where(below.parent_id == tree.c.id))
    return select(tree.c.id)


# what a result lists (the API's item; the pages load the offerings they show)
LISTED = (CatalogueEntry.offering_id.label("id"), CatalogueEntry.title,
          CatalogueEntry.category_code, CatalogueEntry.price_fen, CatalogueEntry.agency_id,
          CatalogueEntry.agency_name)


def _matching(query, dialect_name, *columns, words=None):
    """SELECT ``columns`` of the search table's rows matching ``query``, and the relevance
    expression (None without words). The table holds only visible offerings. ``words``:
    what the rows satisfy instead of holding every term (search.title_matches)."""
    entry = CatalogueEntry
    statement = select(*columns).select_from(entry)
    relevance = None
    if query.terms:
        joined, condition, relevance = search.ranked_matches(dialect_name, query.terms)
        if joined is not None:
            statement = statement.join(joined, joined.c.offering_id == entry.offering_id)
        statement = statement.where(condition if words is None else words)
    if query.category:
        statement = statement.where(entry.category_id.in_(_category_tree(query.category)))
    if query.district:
        statement = statement.where(entry.district_id.in_(
            select(District.id).where(District.code == query.district)))
    if query.agency_type:
        statement = statement.where(entry.agency_type == AgencyType(query.agency_type))
    if query.location in ("in_city", "out_of_town"):
        statement = statement.where(entry.in_city.is_(query.location == "in_city"))
    if query.price_min_fen is not None:
        statement = statement.where(entry.price_high_fen >= query.price_min_fen)
    if query.price_max_fen is not None:
        statement = statement.where(entry.price_low_fen <= query.price_max_fen)
    if query.voucher is not None:
        statement = statement.where(entry.accepts_vouchers.is_(query.voucher))
    if query.min_rating:
        statement = statement.where(entry.rating_avg_x100 >= query.min_rating * 100)
    if query.agency_id:
        statement = statement.where(entry.agency_id == query.agency_id)
    return statement, relevance


def catalogue_statement(query, dialect_name, words=None):
    """The SELECT of the listed columns (``LISTED``) for ``query``, filtered and ordered;
    ``words`` as for :func:`_matching`."""
    statement, relevance = _matching(query, dialect_name, *LISTED, words=words)
    entry = CatalogueEntry
    order = {
        "relevance": [desc(relevance)] if relevance is not None else [],
        "newest": [entry.updated_dt.desc()],
        "price_asc": [nulls_last(entry.price_low_fen.asc())],
        "price_desc": [nulls_last(entry.price_high_fen.desc())],
        "rating": [nulls_last(entry.rating_avg_x100.desc()), entry.orders_completed.desc()],
        "orders": [entry.orders_completed.desc(), nulls_last(entry.rating_avg_x100.desc())],
    }[query.sort]
    return statement.order_by(*order, entry.offering_id.desc())


def title_matches_statement(query, dialect_name, offset, limit):
    """The page (``limit`` rows from ``offset``) of a one-term search by relevance cut from
    the offerings with the term in their title, or None when the search has no such page
    (search.title_matches; SQLite, several terms, another order, or a page past
    ``TITLE_FIRST_DEPTH``). Every title match ranks above every other match, so when it
    returns a full page that page is :func:`catalogue_statement`'s: the title matches,
    ordered as the whole is, begin the whole. The title's index finds them, and only they
    are ranked."""
    by_title = search.title_matches(dialect_name, query.terms)
    if by_title is None or query.sort != "relevance" or offset + limit > TITLE_FIRST_DEPTH:
        return None
    return (catalogue_statement(query, dialect_name, words=by_title)
            .limit(limit).offset(offset))


class SearchPage(Pagination):
    """A page of results with a bounded count: matches are counted up to
    ``COUNT_LIMIT`` (or two pages past this one, if further), so a word found in every
    offering does not count them all on every request. ``total_exact`` is False when more
    matched than were counted; ``total`` is then a lower bound that still leaves the next
    page reachable. A short page needs no count at all."""
    total_exact = True

    def _query_items(self):
        """The page from the title matches when they fill it (one statement), else from
        every match (a second)."""
        query, dialect = self._query_args["query"], self._query_args["dialect"]
        offset, limit = self._query_offset, self.per_page
        titles = title_matches_statement(query, dialect, offset, limit)
        if titles is not None and limit > 0:
            rows = db.session.execute(titles).all()
            if len(rows) == limit:
                return rows
        return db.session.execute(
            catalogue_statement(query, dialect).limit(limit).offset(offset)).all()

    def _query_count(self):
        offset = self._query_offset
        told = total_told_by_page(len(self.items), offset, self.per_page)
        if told is not None:
            return told
        bound = max(COUNT_LIMIT, offset + 2 * self.per_page)
        matching = self._query_args["matching"].limit(bound + 1).subquery()
        counted = db.session.execute(select(func.count()).select_from(matching)).scalar()
        if counted > bound:
            self.total_exact = False
            return bound
        return counted


def search_catalogue(query, page=1, per_page=20):
    """A :class:`SearchPage` of rows (``LISTED``) from the search table."""
    dialect = db.session.get_bind().dialect.name
    matching, _relevance = _matching(query, dialect, literal(1))
    return SearchPage(page=page, per_page=per_page, max_per_page=None, error_out=False,
                      query=query, dialect=dialect, matching=matching)


def listed_offerings(rows):
    """The offerings of a page of results, in its order (the pages show more than the
    search table holds)."""
    ids = [row.id for row in rows]
    if not ids:
        return []
    found = {o.id: o for o in db.session.execute(
        select(Offering).where(Offering.id.in_(ids))).unique().scalars()}
    return [found[i] for i in ids if i in found]
