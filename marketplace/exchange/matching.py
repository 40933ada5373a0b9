"""Matching demands to results, offerings and agencies (and results to demands) in Chinese.

Every listing is kept in an index of ``(kind, listing id, term, term frequency)`` plus its
length and fields (``MatchTerm``, ``MatchDocument``). The terms are those of the catalogue's
search (marketplace/catalogue/search.py): CJK text cut into the bigrams it contains (a lone
character as itself), Latin words whole and lower-cased; title terms count twice. The index
is written in the same transaction as the listing, by a flush hook, for results, demands,
offerings and agencies alike.

A ranking is ONE SQL query per kind of listing: the query's terms joined to the index,
grouped by listing, scored with Okapi BM25 (document frequencies, the number of listings and
their average length come from common table expressions of the same statement), times a
bonus when the listing is of the same technology field. Nothing loops over listings in
Python; only the few listings returned are loaded.
"""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Float, and_, case, cast, event, func, select, true
from sqlalchemy.orm import Session

from marketplace.catalogue import search as catalogue_search
from marketplace.exchange.models import (ListingStatus, MatchDocument, MatchTerm,
                                         TechDemand, TechResult)
from marketplace.extensions import db

K1, B = 1.2, 0.75
FIELD_BOOST = 1.5          # a listing of the same field scores half as much again
TITLE_REPEAT = 2
MAX_QUERY_TERMS = 200
MAX_TERM_LENGTH = 64
KINDS = ("result", "demand", "offering", "agency")


def term_counts(title, *bodies):
    """``Counter`` of the terms of a listing (title terms counted ``TITLE_REPEAT`` times)."""
    counts = Counter()
    for weight, texts in ((TITLE_REPEAT, (title,)), (1, bodies)):
        for value in texts:
            for term in _terms(value):
                counts[term] += weight
    return counts


def _terms(value):
    for run in catalogue_search._runs(value):
        if catalogue_search._is_cjk(run) and len(run) > 1:
            for start in range(len(run) - 1):
                yield run[start:start + 2]
        else:
            yield run[:MAX_TERM_LENGTH]


def query_terms(title, *bodies):
    """The distinct terms of a listing used as a query, title terms first, capped."""
    found = list(dict.fromkeys(term for value in (title, *bodies) for term in _terms(value)))
    return found[:MAX_QUERY_TERMS]


# --- keeping the index --------------------------------------------------------------------

def _document_of(session, obj):
    """(kind, id, title, bodies, field codes, active) of an indexed object, or None."""
    from marketplace.agencies.models import AgencyProfile, AgencyStatus, ServiceCategory
    from marketplace.catalogue.models import Offering, OfferingStatus

    if isinstance(obj, TechResult):
        return ("result", obj.id, obj.title, (obj.summary,), [obj.field_code],
                obj.status == ListingStatus.PUBLISHED)
    if isinstance(obj, TechDemand):
        return ("demand", obj.id, obj.title, (obj.description,), [obj.field_code],
                obj.status == ListingStatus.PUBLISHED)
    if isinstance(obj, Offering):
        category = session.get(ServiceCategory, obj.category_id)
        return ("offering", obj.id, obj.title,
                (obj.description, obj.deliverables, category.name_zh if category else ""),
                [], obj.status == OfferingStatus.PUBLISHED)
    if isinstance(obj, AgencyProfile):
        from marketplace.accounts.models import Organisation
        names = " ".join(c.name_zh for c in obj.categories)
        organisation = session.get(Organisation, obj.organisation_id)
        return ("agency", obj.organisation_id, organisation.name if organisation else "",
                (obj.introduction, names), [], obj.status == AgencyStatus.ADMITTED)
    return None


def _indexable(obj):
    from marketplace.agencies.models import AgencyProfile
    from marketplace.catalogue.models import Offering
    return isinstance(obj, (TechResult, TechDemand, Offering, AgencyProfile))


def _delete(connection, kind, listing_id):
    terms, documents = MatchTerm.__table__, MatchDocument.__table__
    connection.execute(terms.delete().where(terms.c.kind == kind,
                                            terms.c.listing_id == listing_id))
    connection.execute(documents.delete().where(documents.c.kind == kind,
                                                documents.c.listing_id == listing_id))


def index_listing(session, obj):
    """Replace the index rows of ``obj`` (flushed, so it has its id)."""
    kind, listing_id, title, bodies, fields, active = _document_of(session, obj)
    connection = session.connection()
    _delete(connection, kind, listing_id)
    counts = term_counts(title, *bodies)
    if counts:
        connection.execute(MatchTerm.__table__.insert(), [
            {"kind": kind, "listing_id": listing_id, "term": term, "tf": tf}
            for term, tf in counts.items()])
    connection.execute(MatchDocument.__table__.insert(), [{
        "kind": kind, "listing_id": listing_id, "length": sum(counts.values()),
        "field_codes": "".join(f",{code}" for code in fields) + ("," if fields else ""),
        "is_active": bool(active)}])


@event.listens_for(Session, "after_flush")
def _keep_index(session, flush_context):
    changed = [obj for obj in list(session.new) + list(session.dirty) if _indexable(obj)]
    removed = [obj for obj in session.deleted if _indexable(obj)]
    if not changed and not removed:
        return
    for obj in removed:
        kind, listing_id = _document_of(session, obj)[:2]
        _delete(session.connection(), kind, listing_id)
    for obj in changed:
        if obj not in session.deleted:
            index_listing(session, obj)


def rebuild(kinds=KINDS):
    """Index every listing again (after an import, or for data older than the index)."""
    from marketplace.agencies.models import AgencyProfile
    from marketplace.catalogue.models import Offering

    models = {"result": TechResult, "demand": TechDemand, "offering": Offering,
              "agency": AgencyProfile}
    count = 0
    for kind in kinds:
        for obj in db.session.execute(select(models[kind])).unique().scalars():
            index_listing(db.session, obj)
            count += 1
    return count


# --- ranking ------------------------------------------------------------------------------

@dataclass
class Ranked:
    listing_id: int
    score: float
    same_field: bool
    shared_terms: list = field(default_factory=list)


def rank(kind, terms, *, field_code=None, limit=10):
    """The listings of ``kind`` best matching ``terms``: one SQL statement."""
    terms = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
    if not terms:
        return []
    t, d = MatchTerm.__table__, MatchDocument.__table__
    joined = and_(d.c.kind == t.c.kind, d.c.listing_id == t.c.listing_id)
    stats = (select(func.count().label("n"),
                    cast(func.avg(d.c.length), Float).label("avg_length"))
             .where(d.c.kind == kind, d.c.is_active.is_(True)).cte("stats"))
    frequencies = (select(t.c.term, func.count().label("df"))
                   .select_from(t.join(d, joined))
                   .where(t.c.kind == kind, t.c.term.in_(terms), d.c.is_active.is_(True))
                   .group_by(t.c.term).cte("frequencies"))
    idf = func.ln(1.0 + (cast(stats.c.n, Float) - frequencies.c.df + 0.5)
                  / (cast(frequencies.c.df, Float) + 0.5))
    saturation = (cast(t.c.tf, Float) * (K1 + 1)
                  / (t.c.tf + K1 * (1 - B + B * cast(d.c.length, Float) / stats.c.avg_length)))
    pattern = f"%,{field_code},%" if field_code else None
    same_field = func.max(case((d.c.field_codes.like(pattern), 1), else_=0)) \
        if pattern else func.max(0)
    score = (func.sum(idf * saturation) * (1.0 + (FIELD_BOOST - 1.0) * same_field)) \
        .label("score")
    dialect = db.session.get_bind().dialect.name
    shared = (func.string_agg(t.c.term, " ") if dialect == "postgresql"
              else func.group_concat(t.c.term, " ")).label("shared")
    statement = (
        select(t.c.listing_id, score, same_field.label("same_field"), shared)
        .select_from(t.join(d, joined)
                     .join(frequencies, frequencies.c.term == t.c.term)
                     .join(stats, true()))
        .where(t.c.kind == kind, t.c.term.in_(terms), d.c.is_active.is_(True))
        .group_by(t.c.listing_id)
        .order_by(score.desc(), t.c.listing_id)
        .limit(limit))
    return [Ranked(row.listing_id, float(row.score), bool(row.same_field),
                   (row.shared or "").split())
            for row in db.session.execute(statement)]


def phrases(text, shared_terms, limit=6):
    """The reasons to show: the longest stretches of ``text`` made of shared terms
    (overlapping bigrams 复合, 合材, 材料 read as 复合材料), longest first."""
    shared = set(shared_terms)
    found = []
    for run in catalogue_search._runs(text):
        if not (catalogue_search._is_cjk(run) and len(run) > 1):
            if run in shared:
                found.append(run)
            continue
        start = None
        for index in range(len(run) - 1):
            if run[index:index + 2] in shared:
                start = index if start is None else start
                continue
            if start is not None:
                found.append(run[start:index + 1])
                start = None
        if start is not None:
            found.append(run[start:])
    kept = []
    for phrase in sorted(dict.fromkeys(found), key=lambda phrase: -len(phrase)):
        if not any(phrase in longer for longer in kept):   # 复合材料 within 碳纤维复合材料
            kept.append(phrase)
    return kept[:limit]
