"""Permissions as named, composable predicates (after flaskbb's ``Requirement``).

A predicate is a callable ``(user, obj=None) -> bool`` with a name. Combine them with
``&``, ``|`` and ``~``; the combination's name says what it checks, so a test failure or a
log line names the rule. HTML views and the API use the same predicates through
:func:`require` (403) and :func:`require_visible` (404 for objects of another
organisation, so their existence is not disclosed).
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from marketplace.core.errors import NotFound, PermissionDenied


class Predicate:
    def __init__(self, func, name=None):
        self.func = func
        self.name = name or func.__name__
        wraps(func)(self)

    def __call__(self, user, obj=None):
        if user is None or not getattr(user, "is_authenticated", False):
            user = None
        return bool(self.func(user, obj))

    def __and__(self, other):
        return Predicate(lambda u, o=None: self(u, o) and other(u, o),
                         f"({self.name} & {other.name})")

    def __or__(self, other):
        return Predicate(lambda u, o=None: self(u, o) or other(u, o),
                         f"({self.name} | {other.name})")

    def __invert__(self):
        return Predicate(lambda u, o=None: not self(u, o), f"~{self.name}")

    def __repr__(self):
        return f"<Predicate {self.name}>"


def predicate(func):
    """Decorate ``def rule(user, obj=None)``; ``user`` is None for visitors."""
    return Predicate(func)


def require(rule, obj=None, user=None):
    """Raise :class:`PermissionDenied` unless ``rule`` holds."""
    user = current_user if user is None else user
    if not rule(user, obj):
        raise PermissionDenied(details={"rule": rule.name})


def require_visible(rule, obj, user=None):
    """Raise :class:`NotFound` unless ``rule`` holds: for objects the user must not know of."""
    user = current_user if user is None else user
    if obj is None or not rule(user, obj):
        raise NotFound()


def access(rule):
    """View decorator: the endpoint is open to users for whom ``rule`` holds.

    Visitors are sent to the login page when the rule needs a user; logged-in users
    who fail it get 403. The rule is stored on the view so the route × role test and
    the docs can read it.
    """
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not rule(current_user):
                if not current_user.is_authenticated:
                    from marketplace.extensions import login_manager
                    return login_manager.unauthorized()
                abort(403)
            return view(*args, **kwargs)
        guarded.access_rule = rule
        return guarded
    return decorate


@predicate
def anyone(user, obj=None):
    return True


@predicate
def is_authenticated(user, obj=None):
    return user is not None
