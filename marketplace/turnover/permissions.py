"""Who may do what with the contract registry, its imports and the turnover targets: one
named predicate per rule, shared by the pages and the API."""
from marketplace.accounts.permissions import (is_admin, is_auditor, is_organisation_member,
                                              is_reviewer)
from marketplace.core.permissions import predicate


@predicate
def is_bureau(user, obj=None):
    """The bureau's auditors, supervisors and admin see the whole registry."""
    return is_reviewer(user) or is_admin(user)


@predicate
def is_party_to_registration(user, registration):
    """A member of the buyer or the seller named on the registration."""
    return (registration is not None and is_organisation_member(user)
            and user.organisation_id is not None
            and user.organisation_id in (registration.buyer_org_id,
                                         registration.seller_org_id))


@predicate
def can_list_registrations(user, obj=None):
    """The registry list: the bureau all of it, firms and agencies their own contracts."""
    return is_bureau(user) or is_organisation_member(user)


@predicate
def can_view_registration(user, registration):
    """A contract's page: its parties and the bureau (404 for everyone else)."""
    return registration is not None and (is_bureau(user)
                                         or is_party_to_registration(user, registration))


@predicate
def can_register_contracts(user, obj=None):
    """Firm and agency members register their off-platform contracts by hand."""
    return is_organisation_member(user) and user.organisation_id is not None


@predicate
def can_adjust_registration(user, registration=None):
    """An amendment or a cancellation: a party to the contract or the bureau's reviewers.
    Without a registration: whoever may adjust some registration."""
    if registration is None:
        return is_reviewer(user) or can_register_contracts(user)
    return is_reviewer(user) or is_party_to_registration(user, registration)


@predicate
def can_decide_registrations(user, obj=None):
    """Auditors confirm or reject registrations made by hand."""
    return is_auditor(user)


@predicate
def can_decide_registration(user, registration=None):
    """An auditor who did not register it himself (four eyes). Without a registration:
    whoever may decide some registration."""
    if registration is None:
        return is_auditor(user)
    return is_auditor(user) and registration.registered_by_id != user.id


@predicate
def can_import_registrations(user, obj=None):
    """The registration system's export files are imported by auditors and the admin."""
    return is_auditor(user) or is_admin(user)


@predicate
def can_manage_targets(user, obj=None):
    """The yearly turnover targets are set by the admin."""
    return is_admin(user)


@predicate
def can_manage_technology_fields(user, obj=None):
    """The technology-field table is kept by the admin."""
    return is_admin(user)


@predicate
def can_confirm_fields(user, obj=None):
    """Auditors confirm the field of a platform contract registered before fields were
    chosen at quote time."""
    return is_auditor(user)
