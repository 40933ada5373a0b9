"""/payments/reconciliation: the bureau reads what the gateway and the books disagreed
on, night by night, and a supervisor may run the reconciliation at once. (Not on the
webhook's blueprint: that one takes no CSRF token, these pages do.)"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.permissions import access
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db
from marketplace.payments import permissions as perms
from marketplace.payments.models import Reconciliation
from marketplace.payments.reconciliation import reconcile

bp = Blueprint("reconciliation", __name__, url_prefix="/payments/reconciliation")
PER_PAGE = 20


@bp.route("")
@access(perms.can_view_reconciliation)
def runs():
    page = db.paginate(db.select(Reconciliation).order_by(Reconciliation.id.desc()),
                       page=page_argument(), per_page=PER_PAGE, error_out=False)
    return render_template("payments/reconciliation.html", runs=page,
                           can_run=perms.can_run_reconciliation(current_user))


@bp.route("", methods=["POST"])
@access(perms.can_run_reconciliation)
def run_now():
    found, refused = attempt(reconcile, actor=current_user)
    if refused:
        flash(str(refused.message), "danger")
        return redirect(url_for("reconciliation.runs"))
    db.session.commit()
    flash(_("The reconciliation found %(count)s differences.", count=found.difference_count),
          "success" if not found.difference_count else "warning")
    return redirect(url_for("reconciliation.runs"))
