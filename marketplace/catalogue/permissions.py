"""Who may do what with offerings."""
from marketplace.accounts.permissions import (belongs_to_organisation, is_admin,
                                              is_agency_member, is_auditor, is_reviewer)
from marketplace.catalogue.services import is_visible
from marketplace.core.permissions import predicate


@predicate
def can_manage_offerings(user, obj=None):
    """Agency members keep their agency's offerings (publishing needs admission)."""
    return is_agency_member(user)


@predicate
def can_edit_offering(user, offering):
    return (offering is not None and is_agency_member(user)
            and belongs_to_organisation(user, offering.agency.organisation))


@predicate
def can_view_offering(user, offering):
    """A visible offering is public; a hidden one only for its agency and the bureau."""
    return offering is not None and (is_visible(offering) or can_edit_offering(user, offering)
                                     or is_reviewer(user) or is_admin(user))


@predicate
def can_moderate_offerings(user, obj=None):
    return is_auditor(user)


@predicate
def can_manage_categories(user, obj=None):
    return is_admin(user)
