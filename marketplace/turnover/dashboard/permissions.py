"""Who sees the bureau's turnover figures: one named predicate per rule."""
from marketplace.accounts.permissions import is_admin, is_reviewer
from marketplace.core.permissions import predicate


@predicate
def can_view_turnover_dashboard(user, obj=None):
    """The bureau's auditors, supervisors and the admin; experts and members do not."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_export_turnover(user, obj=None):
    """The dashboard's tables and the registry as files: those who see the dashboard."""
    return can_view_turnover_dashboard(user)
