"""The admin's pages of the service-category tree, on which the catalogue's offerings are
filed (the tree itself is the registry's: marketplace/agencies/categories.py)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.agencies import categories
from marketplace.agencies.models import ServiceCategory
from marketplace.catalogue.forms import NO_PARENT, CategoryForm
from marketplace.catalogue.permissions import can_manage_categories
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt
from marketplace.extensions import db
from marketplace.technology_fields.services import field_choices

bp = Blueprint("category_admin", __name__, url_prefix="/admin")


def _locale():
    return str(get_locale() or "zh")


@bp.route("/categories")
@access(can_manage_categories)
def categories_list():
    return render_template("catalogue/admin_categories.html",
                           tree=categories.category_tree(), locale=_locale())


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@access(can_manage_categories)
def edit_category(category_id=None):
    category = None
    if category_id is not None:
        category = db.session.get(ServiceCategory, category_id)
        require_visible(can_manage_categories, category)
    form = CategoryForm(obj=category)
    if category is not None:
        del form.code            # codes are fixed once made
        if request.method == "GET":
            form.parent_id.data = category.parent_id or NO_PARENT
    excluded = set() if category is None else \
        {category.id} | categories.descendant_ids(category.id)
    form.set_parents(categories.category_tree(), _locale(), excluded=excluded)
    form.set_fields(field_choices())
    if form.validate_on_submit():
        _result, refused = attempt(
            categories.save_category, current_user, category=category,
            code=form.code.data if category is None else None,
            name_zh=form.name_zh.data, name_en=form.name_en.data,
            parent_id=form.parent_id.data or None, is_active=form.is_active.data,
            technology_field_code=form.technology_field_code.data or None,
            sort_order=form.sort_order.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("category_admin.categories_list"))
    if category is not None:
        category = db.session.get(ServiceCategory, category_id)
    return render_template("catalogue/admin_category_form.html", form=form,
                           category=category), 422 if request.method == "POST" else 200
