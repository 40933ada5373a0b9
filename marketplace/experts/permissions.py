"""Who may do what with the growing expert pool: one named predicate per rule."""
from marketplace.accounts.permissions import (is_admin, is_auditor, is_reviewer,
                                              is_supervisor)
from marketplace.core.permissions import predicate


@predicate
def can_apply_to_expert_pool(user, obj=None):
    """Anyone but the bureau's reviewers and the admin (who decide) applies to join."""
    return not (is_reviewer(user) or is_admin(user))


@predicate
def can_view_expert_applications(user, obj=None):
    return is_reviewer(user) or is_admin(user)


@predicate
def can_decide_expert_applications(user, obj=None):
    """Auditors admit experts to the pool (入库) or reject their applications."""
    return is_auditor(user)


@predicate
def can_view_pool_share(user, obj=None):
    """The pool's make-up and the experts' assessments: the bureau (reviewers, admin)."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_set_pool_target(user, obj=None):
    """The admin sets the year's target of experts from outside the province."""
    return is_admin(user)


@predicate
def can_compute_expert_assessments(user, obj=None):
    return is_auditor(user)


@predicate
def can_confirm_expert_assessment(user, obj=None):
    """Supervisors confirm an expert's assessment (and with it a removal)."""
    return is_supervisor(user)
