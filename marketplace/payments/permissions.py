"""Who may see how the gateway and the books agree, and run the reconciliation."""
from marketplace.accounts.permissions import is_admin, is_reviewer, is_supervisor
from marketplace.core.permissions import predicate


@predicate
def can_view_reconciliation(user, obj=None):
    """The bureau's reviewers and the admin read the reconciliations and their findings."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_run_reconciliation(user, obj=None):
    """A supervisor may run one now, rather than wait for the night."""
    return is_supervisor(user)
