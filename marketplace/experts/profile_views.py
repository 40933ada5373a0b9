"""The expert-pool pages: the admin keeps the pool (profiles, ties to organisations,
suspension and reinstatement), supervisors read it with each expert's record. Their
routes are on the experts blueprint (marketplace/experts/views.py)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.claims import permissions as perms
from marketplace.claims.expert_models import ExpertConflict, ExpertProfile
from marketplace.core.normalise import typed_id
from marketplace.core.permissions import access, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.experts import profiles as expert_pool
from marketplace.experts.permissions import can_view_expert_applications
from marketplace.experts.pool import pool_share
from marketplace.experts.profile_forms import (ConflictForm, ExpertProfileForm,
                                               ReinstateForm, SuspendForm)
from marketplace.experts.views import bp
from marketplace.extensions import db

PER_PAGE = 20


def _locale():
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def _profile(user_id):
    """The expert's profile, or 404."""
    found = db.session.get(ExpertProfile, user_id)
    require_visible(perms.can_view_expert_pool, found)
    return found


def _int_argument(name):
    return typed_id(request.args.get(name))


@bp.route("/experts")
@access(perms.can_view_expert_pool)
def expert_pool_list():
    field_id = _int_argument("field")
    status = request.args.get("status", "")
    status = status if status in expert_pool.STATUSES else ""
    pagination = db.paginate(expert_pool.pool_query(field_id, status or None),
                             page=page_argument(), per_page=PER_PAGE, error_out=False)
    found = pagination.items
    return render_template(
        "experts/expert_pool.html", pagination=pagination, field_id=field_id, status=status,
        categories=expert_pool.categories(), locale=_locale(),
        records=expert_pool.records_of([p.user_id for p in found]),
        organisations=expert_pool.organisations_by_id({p.organisation_id for p in found}),
        can_manage=perms.can_manage_expert_pool(current_user), share=pool_share(),
        can_review_applications=can_view_expert_applications(current_user))


def render_expert(profile, status=200, **forms):
    """The expert's page; a refused form is shown as it was typed."""
    conflicts = expert_pool.conflicts_of(profile)
    return render_template(
        "experts/expert_pool_expert.html", profile=profile, locale=_locale(),
        record=expert_pool.records_of([profile.user_id])[profile.user_id],
        conflicts=conflicts,
        organisations=expert_pool.organisations_by_id(
            {c.organisation_id for c in conflicts} | {profile.organisation_id}),
        can_manage=perms.can_manage_expert_pool(current_user),
        conflict_form=forms.get("conflict_form") or ConflictForm(formdata=None),
        suspend_form=forms.get("suspend_form") or SuspendForm(formdata=None),
        reinstate_form=forms.get("reinstate_form") or ReinstateForm(formdata=None)), status


@bp.route("/experts/<int:user_id>")
@access(perms.can_view_expert_pool)
def expert_pool_expert(user_id):
    return render_expert(_profile(user_id))


def _profile_form(profile=None, new=False):
    form = ExpertProfileForm(new=new)
    form.set_categories(expert_pool.categories(), _locale())
    if profile is not None and request.method == "GET":
        form.title.data = profile.title
        form.field_ids.data = [c.id for c in profile.fields]
        form.organisation_code.data = profile.organisation.uscc if profile.organisation \
            else ""
        form.province.data = profile.province or ""
    return form


def _render_form(form, profile, status):
    return render_template("experts/expert_pool_form.html", form=form,
                           profile=profile), status


@bp.route("/experts/new", methods=["GET", "POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_new():
    form = _profile_form(new=True)
    if not form.validate_on_submit():
        return _render_form(form, None, 422 if request.method == "POST" else 200)
    profile, refused = attempt(
        expert_pool.create_profile,
        current_user, email=form.email.data, name=form.name.data,
        password=form.password.data, title=form.title.data,
        category_ids=form.field_ids.data, organisation_code=form.organisation_code.data,
        province=form.province.data or None, form=form)
    if refused:
        return _render_form(form, None, refused.status)
    db.session.commit()
    flash(_("The expert is in the pool."), "success")
    return redirect(url_for("experts.expert_pool_expert", user_id=profile.user_id))


@bp.route("/experts/<int:user_id>/edit", methods=["GET", "POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_edit(user_id):
    profile = _profile(user_id)
    form = _profile_form(profile)
    if not form.validate_on_submit():
        return _render_form(form, profile, 422 if request.method == "POST" else 200)
    _result, refused = attempt(expert_pool.update_profile, current_user, profile,
                               title=form.title.data, category_ids=form.field_ids.data,
                               organisation_code=form.organisation_code.data,
                               province=form.province.data or None, form=form)
    if refused:
        return _render_form(form, _profile(user_id), refused.status)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("experts.expert_pool_expert", user_id=user_id))


def _show_refused(user_id, form_name, form, error):
    """The expert's page again after ``attempt`` refused: the form keeps what was typed."""
    return render_expert(_profile(user_id), status=error.status, **{form_name: form})


@bp.route("/experts/<int:user_id>/conflicts", methods=["POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_add_conflict(user_id):
    profile = _profile(user_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        return render_expert(profile, status=422, conflict_form=form)
    _result, refused = attempt(expert_pool.record_conflict, current_user, profile,
                               organisation_code=form.organisation_code.data,
                               reason=form.reason.data, form=form)
    if refused:
        return _show_refused(user_id, "conflict_form", form, refused)
    db.session.commit()
    flash(_("The tie is recorded: the expert is not drawn for this organisation's "
            "claims."), "success")
    return redirect(url_for("experts.expert_pool_expert", user_id=user_id))


@bp.route("/experts/<int:user_id>/conflicts/<int:conflict_id>/remove", methods=["POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_remove_conflict(user_id, conflict_id):
    profile = _profile(user_id)
    conflict = db.session.get(ExpertConflict, conflict_id)
    if conflict is None or conflict.expert_id != profile.user_id:
        require_visible(perms.can_manage_expert_pool, None)
    expert_pool.remove_conflict(current_user, conflict)
    db.session.commit()
    flash(_("The tie is removed."), "success")
    return redirect(url_for("experts.expert_pool_expert", user_id=user_id))


@bp.route("/experts/<int:user_id>/suspend", methods=["POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_suspend(user_id):
    return _change_standing(user_id, SuspendForm(), "suspend_form", expert_pool.suspend,
                            _("The expert is suspended from draws."))


@bp.route("/experts/<int:user_id>/reinstate", methods=["POST"])
@access(perms.can_manage_expert_pool)
def expert_pool_reinstate(user_id):
    return _change_standing(user_id, ReinstateForm(), "reinstate_form", expert_pool.reinstate,
                            _("The expert is reinstated and may be drawn again."))


def _change_standing(user_id, form, form_name, change, done_message):
    """Suspend or reinstate: a reason is required and a refusal keeps what was typed."""
    profile = _profile(user_id)
    if not form.validate_on_submit():
        return render_expert(profile, status=422, **{form_name: form})
    _result, refused = attempt(change, current_user, profile, form.reason.data, form=form)
    if refused:
        return _show_refused(user_id, form_name, form, refused)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("experts.expert_pool_expert", user_id=user_id))
