"""Who may do what with accounts and organisations: one named predicate per rule."""
from marketplace.accounts.models import Role
from marketplace.core.permissions import predicate


def _has_role(user, *roles):
    return user is not None and user.role in roles


@predicate
def is_firm_member(user, obj=None):
    return _has_role(user, Role.FIRM_MEMBER)


@predicate
def is_agency_member(user, obj=None):
    return _has_role(user, Role.AGENCY_MEMBER)


@predicate
def is_organisation_member(user, obj=None):
    return _has_role(user, Role.FIRM_MEMBER, Role.AGENCY_MEMBER)


@predicate
def is_organisation_owner(user, obj=None):
    return is_organisation_member(user) and user.is_owner


@predicate
def is_auditor(user, obj=None):
    return _has_role(user, Role.AUDITOR)


@predicate
def is_supervisor(user, obj=None):
    return _has_role(user, Role.SUPERVISOR)


@predicate
def is_expert(user, obj=None):
    return _has_role(user, Role.EXPERT)


@predicate
def is_admin(user, obj=None):
    return _has_role(user, Role.ADMIN)


@predicate
def is_reviewer(user, obj=None):
    """Bureau staff who review (auditors and supervisors)."""
    return _has_role(user, Role.AUDITOR, Role.SUPERVISOR)


@predicate
def is_staff(user, obj=None):
    return user is not None and user.is_staff


@predicate
def belongs_to_organisation(user, organisation):
    """The user is a member (or owner) of this very organisation."""
    return (user is not None and organisation is not None
            and user.organisation_id == organisation.id)


@predicate
def can_view_organisation_private(user, organisation):
    """Bank account, members and other private data: its own members and bureau reviewers."""
    return belongs_to_organisation(user, organisation) or is_reviewer(user) or is_admin(user)


@predicate
def can_manage_members(user, organisation):
    return belongs_to_organisation(user, organisation) and user.is_owner


@predicate
def can_edit_organisation(user, organisation):
    return belongs_to_organisation(user, organisation) and user.is_owner


@predicate
def can_manage_users(user, obj=None):
    return is_admin(user)


@predicate
def can_manage_districts(user, obj=None):
    return is_admin(user)


@predicate
def owns_api_token(user, token):
    return user is not None and token is not None and token.user_id == user.id


# --- regulated facts: change requests and their review ---------------------------------

@predicate
def can_request_identity_change(user, organisation):
    """The owner asks for the organisation's regulated facts to change."""
    return belongs_to_organisation(user, organisation) and user.is_owner


@predicate
def can_view_change_request(user, request):
    """A change request: its organisation's members, the bureau's reviewers, the admin."""
    return request is not None and (
        (user is not None and user.organisation_id == request.organisation_id)
        or is_reviewer(user) or is_admin(user))


@predicate
def can_withdraw_change_request(user, request):
    return request is not None and user is not None and \
        user.organisation_id == request.organisation_id


@predicate
def can_review_identity_changes(user, obj=None):
    """The queue of change requests and organisations' version histories."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_decide_identity_change(user, obj=None):
    """Only an auditor approves or rejects a change of regulated facts."""
    return is_auditor(user)
