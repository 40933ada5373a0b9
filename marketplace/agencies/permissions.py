"""Who may do what in the agency registry: one named predicate per rule."""
from marketplace.accounts.permissions import (belongs_to_organisation, is_admin,
                                              is_agency_member, is_auditor, is_reviewer)
from marketplace.agencies.models import AgencyStatus
from marketplace.core.permissions import predicate


@predicate
def can_apply_for_admission(user, obj=None):
    """Members of an agency fill in and submit its registry application."""
    return is_agency_member(user)


@predicate
def can_view_agency_private(user, profile):
    """The application, its documents and reasons: the agency, reviewers and the admin."""
    return profile is not None and (
        belongs_to_organisation(user, profile.organisation) or is_reviewer(user)
        or is_admin(user))


@predicate
def can_view_registry_queue(user, obj=None):
    return is_reviewer(user) or is_admin(user)


@predicate
def can_review_agencies(user, obj=None):
    """Auditors decide admissions, objections, suspensions and removals."""
    return is_auditor(user)


@predicate
def can_view_agency_page(user, profile):
    """An agency in the registry and active is public; otherwise only those who may see
    its private data."""
    return profile is not None and (profile.status == AgencyStatus.ADMITTED
                                    or can_view_agency_private(user, profile))


@predicate
def can_view_public_notice(user, profile):
    return profile is not None and profile.status == AgencyStatus.PUBLIC_NOTICE


@predicate
def can_file_objection(user, profile):
    """Anyone signed in, except the agency's own members, during its public notice."""
    return (user is not None and getattr(user, "is_authenticated", False)
            and can_view_public_notice(user, profile)
            and not belongs_to_organisation(user, profile.organisation))
