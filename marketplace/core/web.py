"""Helpers shared by the HTML views: refused service calls and domain errors into forms,
pagination and year arguments."""
from datetime import date

from flask import current_app, flash, render_template, request, url_for

from marketplace.core.errors import DomainError
from marketplace.core.normalise import whole_number
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


# The last page number a listing answers for, as the API's ``page`` allows: past it the
# OFFSET (page x per page) would leave PostgreSQL's bigint and fail the statement.
MAX_PAGE = 100000


def page_argument(default=1, name="page"):
    """The page asked for in ``?<name>=``, between 1 and MAX_PAGE (a larger one is an empty
    page past the end, as any page past the last is); not a number: ``default``."""
    try:
        return min(max(1, int(request.args.get(name, default))), MAX_PAGE)
    except (TypeError, ValueError):
        return default



def render_assessments(template, year, query, *, can_compute, can_confirm, compute_form=None,
                       confirm_forms=None, status=200, per_page=20, **context):
    """A year's assessments (commissioners', experts'): a page of them, each proposal with
    its confirmation form for a supervisor, and the year's computation form for an
    auditor; a refused form is shown as it was typed."""
    from marketplace.core.forms import ComputeAssessmentsForm, ConfirmAssessmentForm

    pagination = db.paginate(query, page=page_argument(), per_page=per_page, error_out=False)
    confirm_forms = dict(confirm_forms or {})
    for row in pagination.items:
        confirm_forms.setdefault(row.id, ConfirmAssessmentForm(prefix=f"assessment-{row.id}",
                                                               formdata=None))
    if compute_form is None:
        compute_form = ComputeAssessmentsForm(formdata=None)
        compute_form.year.data = year
    return render_template(template, year=year, pagination=pagination,
                           compute_form=compute_form, confirm_forms=confirm_forms,
                           can_compute=can_compute, can_confirm=can_confirm, **context), status


def year_argument(default=None):
    """The year asked for in ``?year=``, between 2000 and 2100; otherwise ``default`` (this
    year when None)."""
    return whole_number(request.args.get("year"), 2000, 2100) or default or date.today().year


def public_url(endpoint, **values):
    """The address of ``endpoint`` on the site's public address (PUBLIC_BASE_URL), for a
    link that leaves the site in a mail. Never ``url_for(_external=True)``: that takes the
    host from the request, and a password reset asked for with a forged Host header would
    mail the victim a working token on the attacker's site."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
