"""Who may do what with the rewards for registration: one named predicate per rule."""
from marketplace.accounts.permissions import (is_admin, is_auditor, is_organisation_member,
                                              is_reviewer, is_supervisor)
from marketplace.core.permissions import predicate


@predicate
def can_view_rewards(user, obj=None):
    """The year's reward list, its export and every line: the bureau."""
    return is_reviewer(user) or is_admin(user)


@predicate
def can_compute_rewards(user, obj=None):
    return is_auditor(user)


@predicate
def can_approve_rewards(user, reward_list=None):
    """A supervisor reviews the list; not one who computed it (four eyes)."""
    return is_supervisor(user) and (reward_list is None
                                    or reward_list.computed_by_id != user.id)


@predicate
def can_record_rewards_paid(user, obj=None):
    return is_supervisor(user)


@predicate
def can_view_own_rewards(user, obj=None):
    """Firms and agencies see their own lines of the approved lists."""
    return is_organisation_member(user)


@predicate
def can_view_reward_line(user, line):
    """A line and how it was computed: the bureau; the organisation's members once the
    list is approved."""
    return line is not None and (
        can_view_rewards(user)
        or (is_organisation_member(user) and line.organisation_id == user.organisation_id
            and line.reward_list.is_published))


@predicate
def can_set_reward_rules(user, obj=None):
    return is_admin(user)
