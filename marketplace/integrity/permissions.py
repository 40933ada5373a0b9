"""Who keeps and reads the bureau's lists: one named predicate per rule."""
from marketplace.accounts.permissions import is_admin, is_auditor, is_reviewer
from marketplace.core.permissions import predicate


@predicate
def can_view_integrity_list(user, obj=None):
    """The barred list and the certification lists: the bureau's reviewers, the admin."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_manage_integrity_list(user, obj=None):
    """Auditors list an organisation or a person, and end a listing."""
    return is_auditor(user)


@predicate
def can_import_identity_lists(user, obj=None):
    """The list files and the business-registry exports: auditors and the admin."""
    return is_auditor(user) or is_admin(user)
