"""Changing an organisation's regulated facts: a member asks, an auditor decides.

The request stores the whole proposed state (facts and people, identity numbers hashed on
arrival); approval turns exactly that into the next version, provided the organisation
has not changed since the request was made. A tier the lists do not give needs a
certificate, which the auditor confirms by approving (it then counts as a list entry)."""
import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts import bank, bureau_lists, uscc
from marketplace.accounts import people as people_rules
from marketplace.accounts import versions
from marketplace.accounts.models import District, FirmTier, Organisation, Role
from marketplace.accounts.version_models import (FACT_FIELDS, ChangeRequest,
                                                 ChangeRequestStatus, VersionSource)
from marketplace.core import audit, normalise, outbox
from marketplace.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from marketplace.core.rows import for_update
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db


class NothingChanged(ValidationFailed):
    code = "nothing_changed"
    default_message = _l("The request changes nothing: change a value or a person first.")


class RequestPending(Conflict):
    code = "change_request_pending"
    default_message = _l("A change request of this organisation is waiting for the "
                         "auditor: withdraw it or wait for the decision.")


class StaleRequest(Conflict):
    code = "change_request_stale"
    default_message = _l("The organisation's facts changed after this request was made: "
                         "reject it, and the organisation can ask again.")


class CertificateRequired(ValidationFailed):
    code = "certificate_required"
    default_message = _l("The certification lists do not give this tier: name the "
                         "certificate (number and validity) for the auditor to check.")


def _text(value, field, limit, message):
    value = (value or "").strip()      # kept as written; comparisons use the keys
    if not value or len(value) > limit:
        raise ValidationFailed(message, details={"field": field})
    return value


def checked_phone(phone):
    """One phone number (the related-party check compares its key), or ValidationFailed:
    a field holding two numbers would never meet the other party's."""
    if normalise.phone_key(phone) is None:
        raise ValidationFailed(_l("Not a phone number: give the area code and number, or a "
                                  "mobile number."), details={"field": "contact_phone"})
    return phone


def checked_facts(organisation, facts):
    """The facts as a version stores them, or ValidationFailed naming the field."""
    code = normalise.nfkc(facts.get("uscc"))
    try:
        code = uscc.validate(code)
    except uscc.InvalidCreditCode:
        raise ValidationFailed(_l("Not a valid unified social credit code."),
                               details={"field": "credit_code"})
    holder = db.session.execute(select(Organisation.id).where(Organisation.uscc == code)
                                ).scalar()
    if holder is not None and holder != organisation.id:
        raise Conflict(_l("An organisation with this credit code is already registered."),
                       code="uscc_taken", details={"field": "credit_code"})
    district_id = facts.get("district_id")
    district = db.session.get(District, district_id) if district_id else None
    if district is None or not district.is_active:
        raise ValidationFailed(_l("Choose a district."), details={"field": "district_id"})
    phone = checked_phone(_text(facts.get("contact_phone"), "contact_phone", 40,
                                _l("Give the contact phone.")))
    bank_name, cnaps, account = bank.checked_bank(facts.get("bank_name"),
                                                  facts.get("bank_cnaps_code"),
                                                  facts.get("bank_account"))
    tier = facts.get("firm_tier") or None
    if tier is not None:
        if not organisation.is_firm:
            raise ValidationFailed(details={"field": "firm_tier"})
        tier = FirmTier(tier).value
    return {"name": _text(facts.get("name"), "name", 200, _l("Give the name.")),
            "uscc": code,
            "registered_address": _text(facts.get("registered_address"),
                                        "registered_address", 300, _l("Give the address.")),
            "district_id": district.id, "contact_phone": phone, "bank_name": bank_name,
            "bank_cnaps_code": cnaps, "bank_account": account, "firm_tier": tier}


def _certificate(facts, base, certificate):
    """(number, valid from, valid to) the request names for a new tier, or Nones when the
    lists give the tier already or the tier does not change."""
    tier = facts["firm_tier"]
    if tier is None or tier == base.fact("firm_tier"):
        return None, None, None
    listed = bureau_lists.tier_on(facts["uscc"])
    if listed is not None and listed.tier.value == tier:
        return None, None, None
    number = normalise.nfkc((certificate or {}).get("number"))
    valid_from, valid_to = (certificate or {}).get("valid_from"), \
        (certificate or {}).get("valid_to")
    if not number or len(number) > 60:
        raise CertificateRequired(details={"field": "certificate_number"})
    if valid_from is None or valid_to is None or valid_to < valid_from:
        raise CertificateRequired(_l("Give the dates the certificate is valid, the end "
                                     "after the start."),
                                  details={"field": "certificate_valid_to"})
    if valid_to < date.today():
        raise CertificateRequired(_l("This certificate has expired."),
                                  details={"field": "certificate_valid_to"})
    return number, valid_from, valid_to


def submit(organisation, actor, *, facts, people, reason, certificate=None):
    """A member asks for the facts and people to become the next version."""
    if actor.organisation_id != organisation.id:
        raise PermissionDenied()
    base = versions.current_version(organisation)
    facts = checked_facts(organisation, facts)
    people = people_rules.checked_people(people)
    difference = versions.differences(base, facts, people)
    if not (difference["changes"] or difference["people_added"]
            or difference["people_removed"]):
        raise NothingChanged()
    reason = _text(reason, "reason", 2000, _l("Say why the facts change (for the auditor)."))
    number, valid_from, valid_to = _certificate(facts, base, certificate)
    if pending_request(organisation) is not None:
        raise RequestPending()
    request = ChangeRequest(organisation_id=organisation.id, base_version_id=base.id,
                            status=ChangeRequestStatus.PENDING,
                            proposed=json.dumps({"facts": facts, "people": people},
                                                ensure_ascii=False),
                            certificate_number=number, certificate_valid_from=valid_from,
                            certificate_valid_to=valid_to, reason=reason,
                            requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    audit.record(request, "submit", actor=actor, after=ChangeRequestStatus.PENDING,
                 data={"organisation_id": organisation.id, "base_version": base.number,
                       "certificate": number, **difference})
    outbox.emit("identity.change_requested", request_id=request.id)
    return request


def lock_request(request_id):
    request = db.session.execute(for_update(
        select(ChangeRequest).where(ChangeRequest.id == request_id)
        .execution_options(populate_existing=True), of=ChangeRequest)).unique().scalar_one_or_none()
    if request is None:
        raise NotFound()
    return request


def _decided(request, auditor, comment):
    if auditor.role != Role.AUDITOR:
        raise PermissionDenied()
    request.decided_by_id, request.decided_dt = auditor.id, now_utc()
    request.decision_comment = (comment or "").strip() or None


def approve(request, auditor, comment=None):
    """The proposal becomes the next version (the certificate named, if any, counts from
    now); the parties' open claims are checked again."""
    request = lock_request(request.id)
    if request.status != ChangeRequestStatus.PENDING:
        transition(request, "approve", actor=auditor)      # refused, the state named
    organisation = db.session.execute(for_update(select(Organisation).where(
        Organisation.id == request.organisation_id), of=Organisation)).unique().scalar_one()
    if organisation.current_version_id != request.base_version_id:
        raise StaleRequest()
    _decided(request, auditor, comment)
    proposal = request.proposal
    facts = checked_facts(organisation, proposal["facts"])
    base = organisation.current_version
    certificate = None
    if facts["firm_tier"] and facts["firm_tier"] == base.fact("firm_tier"):
        certificate = base.tier_certificate
    elif facts["firm_tier"] and request.certificate_number:
        certificate = bureau_lists.confirm_certificate(
            uscc=facts["uscc"], organisation_name=facts["name"], tier=facts["firm_tier"],
            certificate_number=request.certificate_number,
            valid_from=request.certificate_valid_from, valid_to=request.certificate_valid_to,
            actor=auditor, change_request_id=request.id)
    elif facts["firm_tier"]:
        listed = bureau_lists.tier_on(facts["uscc"])
        certificate = listed.entry if listed is not None else None
    version = versions.record_version(organisation, facts, proposal["people"], actor=auditor,
                                      source=VersionSource.CHANGE_REQUEST,
                                      change_request=request, tier_certificate=certificate)
    request.result_version_id = version.id
    transition(request, "approve", actor=auditor,
               data={"version": version.number, "comment": request.decision_comment})
    outbox.emit("identity.change_decided", request_id=request.id)
    return version


def reject(request, auditor, comment):
    request = lock_request(request.id)
    if not (comment or "").strip():
        raise ValidationFailed(_l("Give the reason, so the organisation knows what to do."),
                               code="reason_required", details={"field": "comment"})
    if request.status == ChangeRequestStatus.PENDING:
        _decided(request, auditor, comment)
    transition(request, "reject", actor=auditor, data={"comment": comment.strip()})
    outbox.emit("identity.change_decided", request_id=request.id)
    return request


def withdraw(request, actor):
    request = lock_request(request.id)
    if actor.organisation_id != request.organisation_id:
        raise PermissionDenied()
    transition(request, "withdraw", actor=actor)
    return request


def pending_request(organisation):
    return db.session.execute(select(ChangeRequest).where(
        ChangeRequest.organisation_id == organisation.id,
        ChangeRequest.status == ChangeRequestStatus.PENDING)).scalar_one_or_none()


def requests_of(organisation):
    return db.session.execute(select(ChangeRequest).where(
        ChangeRequest.organisation_id == organisation.id)
        .order_by(ChangeRequest.id.desc())).scalars().all()


def review_queue(status=ChangeRequestStatus.PENDING):
    """Requests for the auditors, the oldest first."""
    return select(ChangeRequest).where(ChangeRequest.status == status).order_by(
        ChangeRequest.requested_dt, ChangeRequest.id)


def comparison(request):
    """[(field, current value, proposed value, changed)] and the people before and after,
    for the review page."""
    base = db.session.get(type(request.base_version), request.base_version_id) \
        if request.base_version_id else None
    proposal = request.proposal
    rows = [(field, base.fact(field) if base else None, proposal["facts"].get(field),
             (base.fact(field) if base else None) != proposal["facts"].get(field))
            for field in FACT_FIELDS]
    before = [p.as_dict() for p in base.people] if base else []
    after = proposal["people"]
    for p in after:
        p["is_new"] = not any(people_rules.same_person(p, q) for q in before)
    for p in before:
        p["is_gone"] = not any(people_rules.same_person(p, q) for q in after)
    return rows, before, after
