"""Who may do what with programmes, applications and vouchers."""
from marketplace.accounts.permissions import (is_admin, is_auditor, is_firm_member,
                                              is_reviewer, is_staff)
from marketplace.core.permissions import predicate


@predicate
def can_manage_programmes(user, obj=None):
    return is_admin(user)


@predicate
def can_apply_for_voucher(user, obj=None):
    return is_firm_member(user)


@predicate
def can_view_application(user, application):
    """The applying firm's members and the bureau's reviewers and admin."""
    if application is None:
        return False
    return (is_firm_member(user) and user.organisation_id == application.firm_id) \
        or is_reviewer(user) or is_admin(user)


@predicate
def can_change_application(user, application):
    """Only the applying firm, and only while the application is returned to it."""
    return application is not None and is_firm_member(user) \
        and user.organisation_id == application.firm_id


@predicate
def can_decide_application(user, application=None):
    """Auditors decide voucher applications; the admin cannot approve money."""
    return is_auditor(user)


@predicate
def can_view_application_queue(user, obj=None):
    """The list of every firm's applications: only those who may open its items (the
    reviewers and the admin), so nobody sees a list whose entries answer 404."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_list_applications(user, obj=None):
    """Listing applications through the API: a firm's members (their firm's own) and
    those who see the review queue (all of them)."""
    return is_firm_member(user) or can_view_application_queue(user)


@predicate
def can_view_voucher(user, voucher):
    if voucher is None:
        return False
    return (is_firm_member(user) and user.organisation_id == voucher.firm_id) \
        or is_reviewer(user) or is_admin(user)


@predicate
def can_view_budget(user, obj=None):
    """The bureau's detailed budget meter (the public one needs no login)."""
    return is_staff(user)

