"""Account services. They change objects, flush and audit; the caller commits once."""
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from marketplace.accounts import signals, uscc
# the API tokens' services live in their own module; their callers import them from here
from marketplace.accounts.api_tokens import (api_tokens_of, issue_api_token,  # noqa: F401
                                             revoke_api_token, user_for_api_token)
from marketplace.accounts.models import (District, FirmTier, Invitation, InvitationStatus,
                                         Organisation, OrganisationKind, Role, User,
                                         lower_email)
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.signals import send_heard
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

from flask_babel import lazy_gettext as _l

_RESET_SALT = "password-reset"
_INVITE_SALT = "member-invitation"


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _l("An account with this e-mail address already exists.")


class CreditCodeTaken(Conflict):
    code = "uscc_taken"
    default_message = _l("An organisation with this credit code is already registered.")


class InvalidToken(ValidationFailed):
    code = "invalid_token"
    default_message = _l("This link is invalid or has expired. Please ask for a new one.")


def find_user_by_email(email):
    return db.session.execute(
        select(User).where(func.lower(User.email) == lower_email(email))
    ).scalar_one_or_none()


def _ensure_email_free(email):
    if find_user_by_email(email) is not None:
        raise EmailTaken(details={"field": "email"})


def register_organisation(*, kind, name, credit_code, legal_representative,
                          registered_address, contact_phone, district_id, bank_account,
                          firm_tier, owner_email, owner_name, password=None, locale=None,
                          legal_representative_id_number=None,
                          legal_representative_id_kind="resident_id", bank_name=None,
                          bank_cnaps_code=None, certificate=None):
    """Self-registration: a new organisation, its first version and its owner. Without
    ``password`` the owner has none that anyone knows until they choose one through
    :func:`send_registration_link` (which proves they hold the address).

    A firm's tier is the one the certification lists give its credit code; a tier the
    lists do not give is a change request for an auditor to check against the
    certificate named (``certificate``: number, valid_from, valid_to)."""
    from marketplace.accounts import bank, bureau_lists, change_requests, people, versions
    from marketplace.accounts.version_models import VersionSource

    code = ensure_credit_code_free(credit_code)
    change_requests.checked_phone(contact_phone)
    _ensure_email_free(owner_email)
    kind = OrganisationKind(kind)
    representative = people.person("legal_representative", legal_representative,
                                   id_kind=legal_representative_id_kind,
                                   id_number=legal_representative_id_number,
                                   field="legal_representative_id_number")
    bureau_lists.refuse_if_listed(uscc=code, id_hashes=[representative["id_number_hash"]],
                                  field="credit_code")
    bank_name, bank_cnaps_code, bank_account = bank.checked_bank(bank_name, bank_cnaps_code,
                                                                 bank_account)
    declared = FirmTier(firm_tier) if (firm_tier and kind == OrganisationKind.FIRM) else None
    listed = bureau_lists.tier_on(code) if kind == OrganisationKind.FIRM else None
    organisation = Organisation(
        kind=kind, name=name.strip(), uscc=code,
        legal_representative=representative["name"],
        registered_address=registered_address.strip(), contact_phone=contact_phone.strip(),
        bank_account=bank_account, district_id=district_id,
        firm_tier=listed.tier if listed is not None else None,
    )
    organisation.refresh_keys()
    db.session.add(organisation)
    role = Role.FIRM_MEMBER if kind == OrganisationKind.FIRM else Role.AGENCY_MEMBER
    owner = User(email=lower_email(owner_email), name=owner_name.strip(), role=role,
                 organisation=organisation, is_owner=True, locale=locale)
    owner.set_password(password or secrets.token_urlsafe(32))
    db.session.add(owner)
    db.session.flush()
    audit.record(organisation, "register", actor=owner, after="registered",
                 data={"kind": kind.value, "name": organisation.name})
    audit.record(owner, "create", actor=owner, after="active", data={"role": role.value})
    version = versions.first_version(organisation, people=[representative], actor=owner,
                                     source=VersionSource.REGISTRATION,
                                     tier_certificate=listed.entry if listed else None,
                                     bank_name=bank_name, bank_cnaps_code=bank_cnaps_code)
    # a higher tier than the lists give is a request for an auditor; a lower one is moot
    if declared is not None and (listed is None or declared.rank > listed.tier.rank):
        _request_declared_tier(organisation, owner, version, declared, certificate)
    return owner


def ensure_credit_code_free(credit_code):
    """The valid code, or CreditCodeTaken (a USCC is public: saying so reveals nothing)."""
    code = uscc.validate(credit_code)
    if db.session.execute(select(Organisation.id).where(Organisation.uscc == code)).first():
        raise CreditCodeTaken(details={"field": "credit_code"})
    return code


def send_registration_link(owner, reset_url_for, home_link):
    """Announce the registration: the new owner is mailed the link to choose a password (a
    password-reset link) and welcomed in the inbox (notifications hears it)."""
    send_heard(signals.organisation_registered, owner,
                       password_link=reset_url_for(make_reset_token(owner)),
                       home_link=home_link)


def tell_owner_of_registration_attempt(user, login_url, forgot_url, locale=None):
    """Someone registered with an address that has an account: the page answers as for a
    new one (so it reveals no account), and the address's owner is told by mail (within
    the account's mail limit)."""
    if may_mail_account(user):
        send_heard(signals.registration_attempted, user, login_link=login_url,
                   forgot_link=forgot_url, locale=locale)
    audit.record(user, "registration_attempted", actor=None)


def may_mail_account(user):
    """Whether ``user`` may be sent one more mail that someone else asked for (a reset, a
    registration with its address): at most ACCOUNT_MAIL_LIMIT from all addresses
    together, so the platform's own mails cannot be used to flood an inbox. The asker's
    answer does not change either way."""
    from marketplace.core import throttle

    limit, key = current_app.config["ACCOUNT_MAIL_LIMIT"], str(user.id)
    if throttle.exceeded(limit, "account-mail", key):
        return False
    throttle.record(limit, "account-mail", key)
    return True


def _request_declared_tier(organisation, owner, version, tier, certificate):
    """The tier a firm declared at registration, which the lists do not give: a change
    request with the certificate it named, for an auditor to check."""
    from marketplace.accounts import change_requests, versions

    proposal = versions.proposal_of(version)
    proposal["facts"]["firm_tier"] = tier.value
    change_requests.submit(organisation, owner, facts=proposal["facts"],
                           people=proposal["people"], certificate=certificate,
                           reason=str(_l("The tier declared at registration.")))


def create_staff_user(*, email, name, role, password, actor=None):
    role = Role(role)
    if role not in Role.staff_roles():
        raise ValidationFailed(details={"field": "role"})
    _ensure_email_free(email)
    user = User(email=lower_email(email), name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "create", actor=actor, after="active", data={"role": role.value})
    return user


def authenticate(email, password):
    """Return the active user with this e-mail and password, or None (no hint which is wrong)."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active_account:
        return None
    return user


_DUMMY = {}


def _dummy_hash():
    if "hash" not in _DUMMY:
        from werkzeug.security import generate_password_hash
        _DUMMY["hash"] = generate_password_hash(secrets.token_hex(8))
    return _DUMMY["hash"]


def record_login(user):
    user.last_login_dt = now_utc()
    audit.record(user, "login", actor=user)


def set_locale(user, locale):
    user.locale = locale


# --- password reset -------------------------------------------------------------------

def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user):
    # Part of the token, so a token stops working once the password has changed.
    return user.password_hash[-16:]


def make_reset_token(user):
    return _serializer(_RESET_SALT).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def request_password_reset(email, reset_url_for):
    """E-mail a reset link if the account exists. Says nothing either way to the caller."""
    user = find_user_by_email(email)
    if user is None or not user.is_active_account or not may_mail_account(user):
        return None
    token = make_reset_token(user)
    send_heard(signals.password_reset_requested, user, link=reset_url_for(token))
    audit.record(user, "password_reset_requested", actor=user)
    return token


def user_for_reset_token(token):
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer(_RESET_SALT).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise InvalidToken()
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise InvalidToken()
    return user


def reset_password(token, new_password):
    """A reset is how an owner takes an account back: it ends every session and revokes
    the account's API tokens, which someone who got in meanwhile may have made."""
    user = user_for_reset_token(token)
    user.set_password(new_password)
    user.session_version += 1
    for api_token in api_tokens_of(user):
        revoke_api_token(api_token, user)
    audit.record(user, "password_reset", actor=user)
    return user


def sign_out(user):
    """Signing out ends every session of the account: sessions live in signed cookies, so
    a copied cookie stays valid until the version it carries is retired."""
    user.session_version += 1
    audit.record(user, "logout", actor=user)


def change_password(user, new_password):
    user.set_password(new_password)
    user.session_version += 1
    audit.record(user, "password_change", actor=user)


# --- invitations ----------------------------------------------------------------------

def invite_member(organisation, inviter, email, accept_url_for):
    email = lower_email(email)
    _ensure_email_free(email)
    invitation = Invitation(organisation=organisation, email=email, invited_by_id=inviter.id,
                            status=InvitationStatus.PENDING)
    db.session.add(invitation)
    db.session.flush()
    token = _serializer(_INVITE_SALT).dumps({"inv": invitation.id})
    send_heard(signals.member_invited, invitation, inviter=inviter,
                       link=accept_url_for(token))
    audit.record(invitation, "create", actor=inviter, after=InvitationStatus.PENDING,
                 data={"email": email})
    return invitation, token


def invitation_for_token(token):
    max_age = current_app.config["INVITATION_MAX_AGE"]
    try:
        data = _serializer(_INVITE_SALT).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise InvalidToken()
    invitation = db.session.get(Invitation, data.get("inv"))
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        raise InvalidToken()
    return invitation


def accept_invitation(token, *, name, password, locale=None):
    invitation = invitation_for_token(token)
    _ensure_email_free(invitation.email)
    organisation = invitation.organisation
    role = Role.FIRM_MEMBER if organisation.is_firm else Role.AGENCY_MEMBER
    user = User(email=invitation.email, name=name.strip(), role=role,
                organisation=organisation, is_owner=False, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    invitation.accepted_user_id = user.id
    invitation.accepted_dt = now_utc()
    transition(invitation, "accept", actor=user)
    audit.record(user, "create", actor=user, after="active", data={"role": role.value})
    signals.member_joined.send(user, invitation=invitation)   # the owners hear of it
    return user


def revoke_invitation(invitation, actor):
    transition(invitation, "revoke", actor=actor)


def pending_invitations(organisation):
    return db.session.execute(
        select(Invitation).where(Invitation.organisation_id == organisation.id,
                                 Invitation.status == InvitationStatus.PENDING)
        .order_by(Invitation.created_dt.desc())
    ).scalars().all()


def set_user_active(user, is_active, actor):
    if user.is_active_account == is_active:
        return
    before, after = ("active", "disabled") if not is_active else ("disabled", "active")
    user.is_active_account = is_active
    user.session_version += 1
    audit.record(user, "disable" if not is_active else "enable", actor=actor,
                 before=before, after=after)


# --- districts ------------------------------------------------------------------------

def active_districts():
    return db.session.execute(
        select(District).where(District.is_active.is_(True))
        .order_by(District.sort_order, District.id)
    ).scalars().all()


def all_districts():
    return db.session.execute(
        select(District).order_by(District.sort_order, District.id)).scalars().all()


def save_district(actor, *, district=None, code, name_zh, name_en, is_active, sort_order):
    creating = district is None
    clash = db.session.execute(
        select(District.id).where((District.code == code) | (District.name_zh == name_zh))
    ).scalars().all()
    if any(creating or found != district.id for found in clash):
        raise Conflict(_l("A district with this code or name already exists."),
                       details={"field": "code"})
    if creating:
        district = District()
        db.session.add(district)
    district.code, district.name_zh, district.name_en = code, name_zh, name_en
    district.is_active, district.sort_order = is_active, sort_order
    db.session.flush()
    audit.record(district, "create" if creating else "update", actor=actor,
                 data={"code": code, "name_zh": name_zh, "is_active": is_active})
    return district

