"""The people of an organisation: its legal representative, officers (directors,
supervisors, managers) and shareholders with their share.

A person is handled as a plain dict (the form a change request stores and a version is
made from): role, title, name, the kind of identity document, the keyed hash of its
number and the masked number, a shareholder's share. The number itself is hashed the
moment it arrives and never stored or logged."""
from flask_babel import lazy_gettext as _l

from marketplace.accounts import identity_numbers
from marketplace.accounts.version_models import OfficerTitle, PersonRole, VersionPerson
from marketplace.core import normalise
from marketplace.core.errors import ValidationFailed

ROLE_NAMES = {
    "legal_representative": _l("Legal representative"),
    "officer": _l("Officer"),
    "shareholder": _l("Shareholder"),
}
TITLE_NAMES = {
    "director": _l("Director"),
    "supervisor": _l("Supervisor (board of supervisors)"),
    "manager": _l("Manager"),
}
MAX_PEOPLE = 50


class PeopleInvalid(ValidationFailed):
    code = "people_invalid"
    default_message = _l("The list of people is not valid.")


def person(role, name, *, title=None, id_kind=None, id_number=None, share_bp=None,
           kept_hash=None, kept_masked=None, field="people"):
    """One person as a change request stores them. ``id_number`` is hashed here; without
    one, ``kept_hash``/``kept_masked`` (the person's number as a version already holds
    it) stay. The legal representative needs an identity number; others may lack one
    (a registry export does not always give it), and are then matched by name only."""
    try:
        role = PersonRole(role).value
    except ValueError:
        raise PeopleInvalid(_l("Choose the person's role."), details={"field": field})
    name = (name or "").strip()       # as written; name_key is what compares
    if not name or len(name) > 100:
        raise PeopleInvalid(_l("Give the person's name (at most 100 characters)."),
                            details={"field": field})
    if role == PersonRole.OFFICER.value:
        try:
            title = OfficerTitle(title or "").value
        except ValueError:
            raise PeopleInvalid(_l("Choose the officer's title."), details={"field": field})
    else:
        title = None
    number_hash = masked = None
    if id_number and str(id_number).strip():
        try:
            identity_numbers.checked_number(id_kind, id_number)
        except identity_numbers.InvalidIdentityNumber as error:
            raise PeopleInvalid(identity_numbers.REASONS[error.reason], details={"field": field})
        number_hash = identity_numbers.number_hash(id_number)
        masked = identity_numbers.masked(id_number)
    elif kept_hash:
        number_hash, masked = kept_hash, kept_masked
    if number_hash is None:
        id_kind = None
        if role == PersonRole.LEGAL_REPRESENTATIVE.value:
            raise PeopleInvalid(_l("Give the legal representative's identity number."),
                                details={"field": field, "reason": "representative"})
    if role == PersonRole.SHAREHOLDER.value:
        if share_bp is None or not 1 <= int(share_bp) <= 10000:
            raise PeopleInvalid(_l("A shareholder's share is between 0.01% and 100%."),
                                details={"field": field})
        share_bp = int(share_bp)
    else:
        share_bp = None
    return {"role": role, "title": title, "name": name, "id_kind": id_kind,
            "id_number_hash": number_hash, "id_number_masked": masked,
            "share_bp": share_bp}


def checked_people(people):
    """The list in a stable order, or :class:`PeopleInvalid`: exactly one legal
    representative, shares adding up to at most 100%, nobody twice in one role."""
    people = list(people)
    if len(people) > MAX_PEOPLE:
        raise PeopleInvalid(_l("At most %(count)s people.", count=MAX_PEOPLE),
                            details={"field": "people"})
    representatives = [p for p in people if p["role"] == PersonRole.LEGAL_REPRESENTATIVE.value]
    if len(representatives) != 1:
        raise PeopleInvalid(_l("Name exactly one legal representative."),
                            details={"field": "people", "reason": "representative"})
    shares = sum(p["share_bp"] or 0 for p in people)
    if shares > 10000:
        raise PeopleInvalid(_l("The shareholders' shares add up to more than 100%."),
                            details={"field": "people"})
    seen = set()
    for p in people:
        who = (p["role"], p["id_number_hash"] or normalise.name_key(p["name"]))
        if who in seen:
            raise PeopleInvalid(_l("%(name)s is listed twice in the same role.",
                                   name=p["name"]), details={"field": "people"})
        seen.add(who)
    order = {role.value: index for index, role in enumerate(PersonRole)}
    return sorted(people, key=lambda p: (order[p["role"]], p["title"] or "", p["name"]))


def legal_representative_of(people):
    return next(p for p in people if p["role"] == PersonRole.LEGAL_REPRESENTATIVE.value)


def version_people(people):
    """The rows of a new version's people."""
    return [VersionPerson(position=index, role=PersonRole(p["role"]),
                          title=OfficerTitle(p["title"]) if p["title"] else None,
                          name=p["name"], name_key=normalise.name_key(p["name"]),
                          id_kind=p["id_kind"], id_number_hash=p["id_number_hash"],
                          id_number_masked=p["id_number_masked"], share_bp=p["share_bp"])
            for index, p in enumerate(people)]


def label(p):
    """'Legal representative 张伟 (3601**********1234)' for the audit's old → new."""
    role = p["title"] or p["role"]
    number = f" ({p['id_number_masked']})" if p.get("id_number_masked") else ""
    share = f" {p['share_bp'] / 100:g}%" if p.get("share_bp") else ""
    return f"{role}: {p['name']}{number}{share}"


def same_person(a, b):
    """Two entries for one person in one role with the same share and title."""
    return (a["role"] == b["role"] and a["title"] == b["title"]
            and a["share_bp"] == b["share_bp"]
            and normalise.name_key(a["name"]) == normalise.name_key(b["name"])
            and a["id_number_hash"] == b["id_number_hash"])
