"""Who keeps the working-day calendar."""
from marketplace.accounts.permissions import is_admin
from marketplace.core.permissions import predicate


@predicate
def can_manage_calendar(user, obj=None):
    """The admin enters each year's holidays and make-up working days."""
    return is_admin(user)
