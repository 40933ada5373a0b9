"""The integrity list (失信名单 / 科研诚信): organisations and people barred from the
programme. Registration, admission to the registry, voucher approval, contract signing
and every claim look their parties up; a hit refuses the step (or blocks the claim) with
the entry as evidence."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace.accounts import identity_numbers
from marketplace.accounts import uscc as uscc_rules
from marketplace.core import audit, normalise
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.integrity.models import BarredSubject, EntryStatus, IntegrityListEntry


class IntegrityListHit(Conflict):
    code = "integrity_list_hit"
    default_message = _l("A party or one of its people is on the bureau's integrity list: "
                         "this step is refused.")


def active_on(day):
    return ((IntegrityListEntry.status == EntryStatus.LISTED)
            & (IntegrityListEntry.listed_from <= day)
            & (IntegrityListEntry.listed_to.is_(None) | (IntegrityListEntry.listed_to >= day)))


def hits(usccs=(), hashes=(), day=None):
    """The entries active on ``day`` naming one of ``usccs`` or a person whose identity
    hash is one of ``hashes`` (a shareholding organisation's is the hash of its credit
    code, so a barred company holding shares is found too): one indexed look-up."""
    usccs = sorted({u for u in usccs if u})
    hashes = sorted({h for h in hashes if h})
    if not usccs and not hashes:
        return []
    day = day or date.today()
    matches = []
    if usccs:
        matches.append(IntegrityListEntry.uscc.in_(usccs))
    if hashes:
        matches.append(IntegrityListEntry.id_number_hash.in_(hashes))
        matches.append(IntegrityListEntry.uscc_hash.in_(hashes))
    return db.session.execute(select(IntegrityListEntry).where(
        active_on(day), or_(*matches)).order_by(IntegrityListEntry.id)).scalars().all()


def version_hits(versions, day=None):
    """[(entry, {party, version, matched, person})] for the parties' versions
    (``versions``: {party label: OrganisationVersion or None})."""
    subjects = {}
    for party, version in versions.items():
        if version is None:
            continue
        subjects.setdefault(("uscc", version.uscc), []).append(
            {"party": party, "version": version.number, "matched": "organisation",
             "person": None})
        for p in version.people:
            if p.id_number_hash:
                subjects.setdefault(("hash", p.id_number_hash), []).append(
                    {"party": party, "version": version.number, "matched": "person",
                     "person": {"role": p.role.value, "name": p.name,
                                "id_number": p.id_number_masked}})
    entries = hits([value for kind, value in subjects if kind == "uscc"],
                   [value for kind, value in subjects if kind == "hash"], day)
    found = []
    for entry in entries:
        keys = [("uscc", entry.uscc), ("hash", entry.uscc_hash)] \
            if entry.subject == BarredSubject.ORGANISATION else [("hash", entry.id_number_hash)]
        for key in keys:
            for where in subjects.get(key, ()):
                found.append((entry, where))
    return found


def entry_evidence(entry, where=None):
    """An entry as evidence: who, why, from whom, from when to when (never a number)."""
    return {"entry_id": entry.id, "subject": entry.subject.value, "name": entry.name,
            "uscc": entry.uscc, "id_number": entry.id_number_masked, "reason": entry.reason,
            "source": entry.source, "listed_from": entry.listed_from.isoformat(),
            "listed_to": entry.listed_to.isoformat() if entry.listed_to else None,
            **(where or {})}


def refuse_if_barred(versions, day=None, *, field=None):
    """Raise :class:`IntegrityListHit` with the entries if any party is on the list."""
    found = version_hits(versions, day)
    if found:
        raise IntegrityListHit(details={"field": field, "entries": [
            entry_evidence(entry, where) for entry, where in found]})


def refuse_if_listed(*, uscc=None, id_hashes=(), day=None, field=None):
    """The same for facts not yet in a version (a registration being made)."""
    found = hits([uscc] if uscc else [], id_hashes, day)
    if found:
        raise IntegrityListHit(details={"field": field, "entries": [
            entry_evidence(entry) for entry in found]})


# --- the bureau keeps the list ------------------------------------------------------------

class EntryInvalid(ValidationFailed):
    code = "integrity_entry_invalid"


def entry_values(*, subject, name, uscc=None, id_kind=None, id_number=None, reason, source,
                 listed_from, listed_to=None):
    """The columns of an entry from what was typed or imported, or :class:`EntryInvalid`
    naming the field."""
    try:
        subject = BarredSubject(subject)
    except ValueError:
        raise EntryInvalid(_l("Choose an organisation or a person."),
                           details={"field": "subject"})
    name = (name or "").strip()       # kept as written; the keys are normalised
    if not name or len(name) > 200:
        raise EntryInvalid(_l("Give the name (at most 200 characters)."),
                           details={"field": "name"})
    values = {"subject": subject, "name": name, "uscc": None, "uscc_hash": None,
              "id_number_hash": None, "id_number_masked": None}
    if subject == BarredSubject.ORGANISATION:
        if not uscc_rules.is_valid(normalise.nfkc(uscc)):
            raise EntryInvalid(_l("Give the organisation's valid unified social credit "
                                  "code."), details={"field": "uscc"})
        values["uscc"] = uscc_rules.normalise(normalise.nfkc(uscc))
        values["uscc_hash"] = identity_numbers.number_hash(values["uscc"])
    else:
        try:
            identity_numbers.checked_number(id_kind or "resident_id", id_number)
        except identity_numbers.InvalidIdentityNumber as error:
            raise EntryInvalid(identity_numbers.REASONS[error.reason],
                               details={"field": "id_number"})
        values["id_number_hash"] = identity_numbers.number_hash(id_number)
        values["id_number_masked"] = identity_numbers.masked(id_number)
    reason, source = (reason or "").strip(), (source or "").strip()
    if not reason:
        raise EntryInvalid(_l("Give the reason of the listing."), details={"field": "reason"})
    if not source or len(source) > 200:
        raise EntryInvalid(_l("Name the source of the listing (at most 200 characters)."),
                           details={"field": "source"})
    if listed_from is None:
        raise EntryInvalid(_l("Give the first day of the listing."),
                           details={"field": "listed_from"})
    if listed_to is not None and listed_to < listed_from:
        raise EntryInvalid(_l("The listing cannot end before it starts."),
                           details={"field": "listed_to"})
    values.update(reason=reason, source=source, listed_from=listed_from, listed_to=listed_to)
    return values


def add_entry(actor, **typed):
    entry = IntegrityListEntry(**entry_values(**typed), created_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    audit.record(entry, "list", actor=actor, after=EntryStatus.LISTED,
                 data={"subject": entry.subject.value, "name": entry.name,
                       "uscc": entry.uscc, "id_number": entry.id_number_masked,
                       "source": entry.source, "listed_from": entry.listed_from.isoformat(),
                       "listed_to": entry.listed_to.isoformat() if entry.listed_to else None})
    return entry


def lift_entry(entry, actor, reason):
    """End a listing early (kept, with who and why)."""
    reason = (reason or "").strip()
    if not reason:
        raise EntryInvalid(_l("Give the reason the listing ends."),
                           details={"field": "reason"})
    if entry.status == EntryStatus.LIFTED:
        raise Conflict(_l("This listing has already ended."), code="already_lifted")
    entry.lifted_dt, entry.lifted_by_id, entry.lift_reason = now_utc(), actor.id, reason
    transition(entry, "lift", actor=actor, data={"reason": reason})
    return entry


def entries(query_text=None, active_only=False, day=None):
    statement = select(IntegrityListEntry).order_by(IntegrityListEntry.id.desc())
    if active_only:
        statement = statement.where(active_on(day or date.today()))
    text = normalise.nfkc(query_text)
    if text:
        statement = statement.where(or_(IntegrityListEntry.name.contains(text),
                                        IntegrityListEntry.uscc == text.upper()))
    return statement


def refuse_if_versions_barred(version_ids, usccs, day=None, *, field=None):
    """The same as :func:`refuse_if_barred` in one statement, for a step that must stay
    cheap (a contract signature): the entries naming one of ``usccs`` or a person of one
    of the versions."""
    from marketplace.accounts.version_models import VersionPerson

    version_ids = [v for v in version_ids if v]
    people = select(VersionPerson.id_number_hash).where(
        VersionPerson.version_id.in_(version_ids), VersionPerson.id_number_hash.is_not(None))
    matches = [IntegrityListEntry.uscc.in_(sorted({u for u in usccs if u}))]
    if version_ids:
        matches.append(IntegrityListEntry.id_number_hash.in_(people))
        matches.append(IntegrityListEntry.uscc_hash.in_(people))
    found = db.session.execute(select(IntegrityListEntry).where(
        active_on(day or date.today()), or_(*matches))
        .order_by(IntegrityListEntry.id)).scalars().all()
    if found:
        raise IntegrityListHit(details={"field": field, "entries": [
            entry_evidence(entry) for entry in found]})
