"""Helpers shared by the HTML views: refused service calls and domain errors into forms,
pagination arguments."""
from flask import flash, request

from marketplace.core.errors import DomainError
from marketplace.extensions import db


def apply_domain_error(form, error):
    """Show a domain error next to the field it concerns, else as a flash message.

    The form keeps what was typed, because the caller re-renders the same form object.
    """
    field_name = (error.details or {}).get("field")
    field = getattr(form, field_name, None) if (form is not None and field_name) else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "danger")


def attempt(call, *args, form=None, **kwargs):
    """Run a service call; return ``(result, None)``, or ``(None, error)`` on a DomainError.

    A refused call rolls the request's transaction back (services flush, so half of the change may
    be in the session), then the error is shown beside the form field it names, else flashed as
    "danger". The caller re-renders the same form object, so the form keeps what was typed, and
    still commits itself on success (one commit per request).
    """
    try:
        return call(*args, **kwargs), None
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return None, error


def page_argument(default=1):
    try:
        return max(1, int(request.args.get("page", default)))
    except (TypeError, ValueError):
        return default

