"""The technology fields (技术领域): the admin's table, and an auditor's confirmation of the
field a platform contract was given by its service category."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt
from marketplace.extensions import db
from marketplace.technology_fields import services as fields
from marketplace.turnover import permissions as perms
from marketplace.turnover.forms import FieldConfirmationForm, TechnologyFieldForm
from marketplace.technology_fields.models import TechnologyField
from marketplace.turnover.registry import review

bp = Blueprint("technology_fields", __name__)


@bp.route("/admin/technology-fields")
@access(perms.can_manage_technology_fields)
def fields_list():
    return render_template("turnover/technology_fields.html", fields=fields.all_fields())


@bp.route("/admin/technology-fields/new", methods=["GET", "POST"])
@bp.route("/admin/technology-fields/<int:field_id>", methods=["GET", "POST"])
@access(perms.can_manage_technology_fields)
def edit_field(field_id=None):
    field = None
    if field_id is not None:
        field = db.session.get(TechnologyField, field_id)
        require_visible(perms.can_manage_technology_fields, field)
    form = TechnologyFieldForm(obj=field)
    if field is not None:
        del form.code            # codes are fixed once made
    if form.validate_on_submit():
        _result, refused = attempt(
            fields.save_field, current_user, field=field,
            code=form.code.data if field is None else None, name_zh=form.name_zh.data,
            name_en=form.name_en.data, is_active=form.is_active.data,
            sort_order=form.sort_order.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".fields_list"))
        field = db.session.get(TechnologyField, field_id) if field_id is not None else None
    status = 422 if request.method == "POST" else 200
    return render_template("turnover/technology_field_form.html", form=form,
                           field=field), status


@bp.route("/contracts/<int:registration_id>/field", methods=["POST"])
@access(perms.can_confirm_fields)
def confirm_field(registration_id):
    from marketplace.turnover.registry.views import render_contract, visible_registration

    row = visible_registration(registration_id)
    original = row.original or row
    form = FieldConfirmationForm()
    if not form.validate_on_submit():
        return render_contract(original, 422, field_form=form)
    _result, refused = attempt(review.confirm_field, original, current_user,
                               form.field_code.data, form=form)
    if refused:
        return render_contract(db.session.get(type(original), original.id), refused.status,
                               field_form=form)
    db.session.commit()
    flash(_("The technology field is confirmed."), "success")
    return redirect(url_for("contract_registry.contract", registration_id=original.id))
