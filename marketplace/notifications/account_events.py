"""What people are told of the accounts domain's steps. Accounts announces them
(marketplace/accounts/signals.py; connected by ``notifications.init_app``) and emits the
identity workflow's outbox messages; it imports nothing of this domain.

Each signal receiver runs in the step's transaction: the mail is queued through the outbox
and goes out after commit, as a notice does, or not at all on a rollback."""
from marketplace.accounts.models import Role
from marketplace.accounts.version_models import ChangeRequest, ChangeRequestStatus
from marketplace.core import outbox
from marketplace.extensions import db
from marketplace.notifications import views
from marketplace.notifications.services import (active_staff, mark_queue_seen, notify,
                                                notify_coalesced, send_mail)


def mail_signin_link(user, *, link, minutes):
    send_mail(to=user.email, template="signin_link", locale=user.locale, name=user.name,
              link=link, minutes=minutes)


def welcome_registered_owner(owner, *, password_link, home_link):
    """The link to choose a password (it proves the owner holds the address), then the
    welcome in the inbox."""
    organisation = owner.organisation.name
    send_mail(to=owner.email, template="registration_link", locale=owner.locale,
              name=owner.name, organisation=organisation, link=password_link)
    notify(owner, "welcome", organisation=organisation, link=home_link)


def mail_registration_attempt(user, *, login_link, forgot_link, locale):
    send_mail(to=user.email, template="registration_attempt", locale=user.locale or locale,
              name=user.name, login=login_link, forgot=forgot_link)


def mail_password_reset(user, *, link):
    send_mail(to=user.email, template="password_reset", locale=user.locale, name=user.name,
              link=link)


def mail_invitation(invitation, *, inviter, link):
    send_mail(to=invitation.email, template="invitation", locale=inviter.locale,
              organisation=invitation.organisation.name, inviter=inviter.name, link=link)


def tell_owners_of_new_member(user, *, invitation):
    organisation = invitation.organisation
    for owner in [m for m in organisation.members if m.is_owner]:
        notify(owner, "member_joined", name=user.name, organisation=organisation.name)


def identity_queue_seen(user):
    mark_queue_seen(user, "identity_change_to_review")


@outbox.handler("identity.change_requested")
def tell_auditors_of_change_request(request_id):
    """Auditors hear of change requests through one counting notice."""
    request = db.session.get(ChangeRequest, request_id)
    for auditor in active_staff(Role.AUDITOR):
        notify_coalesced(auditor, "identity_change_to_review", link="/identity/changes",
                         organisation=request.organisation.name)


@outbox.handler("identity.change_decided")
def tell_requester_of_decision(request_id):
    request = db.session.get(ChangeRequest, request_id)
    requester = request.requested_by
    if requester is None or not requester.is_active_account:
        return
    approved = request.status == ChangeRequestStatus.APPROVED
    version = request.organisation.current_version if approved else None
    notify(requester, "identity_change_approved" if approved else "identity_change_rejected",
           link=f"/organisation/changes/{request.id}", request=request.id,
           organisation=request.organisation.name,
           version=version.number if version is not None else "-",
           comment=request.decision_comment or "")


def connect(signals):
    """Subscribe to ``marketplace.accounts.signals`` (called once per app; blinker keeps a
    receiver once however often it is connected)."""
    signals.signin_link_made.connect(mail_signin_link)
    signals.organisation_registered.connect(welcome_registered_owner)
    signals.registration_attempted.connect(mail_registration_attempt)
    signals.password_reset_requested.connect(mail_password_reset)
    signals.member_invited.connect(mail_invitation)
    signals.member_joined.connect(tell_owners_of_new_member)
    signals.identity_queue_opened.connect(identity_queue_seen)
    signals.profile_page.connect(views.preferences_on_profile_page)
