"""The administrator's pages: staff accounts, user list and the district table."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.accounts import permissions as perms
from marketplace.accounts import services
from marketplace.accounts.forms import DistrictForm, StaffUserForm
from marketplace.accounts.models import District, Role, User
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@access(perms.can_manage_users)
def users():
    query = select(User).order_by(User.id)
    search = (request.args.get("q") or "").strip()
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(User.email.ilike(like), User.name.ilike(like)))
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    pagination = db.paginate(query, page=page_argument(), per_page=25, error_out=False)
    return render_template("admin/users.html", pagination=pagination, search=search,
                           role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@access(perms.can_manage_users)
def new_user():
    form = StaffUserForm()
    if form.validate_on_submit():
        _result, refused = attempt(services.create_staff_user, email=form.email.data,
                                   name=form.name.data, role=form.role.data,
                                   password=form.password.data, actor=current_user, form=form)
        if not refused:
            db.session.commit()
            flash(_("The account %(email)s is created.", email=form.email.data), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access(perms.can_manage_users)
def set_user_active(user_id):
    user = db.session.get(User, user_id)
    require_visible(perms.can_manage_users, user)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "danger")
        return redirect(url_for("admin.users"))
    services.set_user_active(user, request.form.get("active") == "1", current_user)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/districts")
@access(perms.can_manage_districts)
def districts():
    return render_template("admin/districts.html", districts=services.all_districts())


@bp.route("/districts/new", methods=["GET", "POST"])
@bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
@access(perms.can_manage_districts)
def edit_district(district_id=None):
    district = None
    if district_id is not None:
        district = db.session.get(District, district_id)
        require_visible(perms.can_manage_districts, district)
    form = DistrictForm(obj=district)
    if form.validate_on_submit():
        _result, refused = attempt(services.save_district, current_user, district=district,
                                   code=form.code.data, name_zh=form.name_zh.data.strip(),
                                   name_en=form.name_en.data.strip(),
                                   is_active=form.is_active.data,
                                   sort_order=form.sort_order.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.districts"))
    return render_template("admin/edit_district.html", form=form, district=district)
