"""Helpers shared by the HTML views: domain errors into forms, pagination arguments."""
from flask import flash, request



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


def page_argument(default=1):
    try:
        return max(1, int(request.args.get("page", default)))
    except (TypeError, ValueError):
        return default

