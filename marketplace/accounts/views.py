"""Sign-in, registration, password reset, invitations, profile and organisation pages."""
from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from marketplace.accounts import permissions as perms
from marketplace.accounts import services, signals, signin
from marketplace.accounts.forms import (AcceptInvitationForm, ApiTokenForm, ChangePasswordForm,
                                        InviteForm, LoginForm, PasswordResetForm,
                                        PasswordResetRequestForm, ProfileForm,
                                        RegistrationForm, SignInLinkForm, tier_choices)
from marketplace.accounts.models import ApiToken, Invitation, OrganisationKind
from marketplace.core.errors import DomainError
from marketplace.core.permissions import access, anyone, is_authenticated, require_visible
from marketplace.core.redirects import local_target
from marketplace.core.signals import answers
from marketplace.core.timeutil import now_utc
from marketplace.core.web import apply_domain_error, attempt, public_url
from marketplace.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _district_choices(form):
    districts = [(d.id, d.display_name(_current_locale())) for d in services.active_districts()]
    form.district_id.choices = [(0, _("Choose a district"))] + districts
    form.firm_tier.choices = tier_choices()


def _current_locale():
    from flask_babel import get_locale
    return str(get_locale() or "zh")[:2]


def _login_limit():
    from flask import current_app
    return current_app.config["LOGIN_RATE_LIMIT"]


def _signin_link_url(token):
    return public_url("accounts.signin_link", token=token)


def _throttled_message():
    from flask import current_app
    return _("Too many failed attempts for this account from here. If the password you "
             "typed is right, a one-time sign-in link is on its way to the account's "
             "e-mail address (valid for %(minutes)s minutes).",
             minutes=current_app.config["SIGNIN_LINK_MAX_AGE"] // 60)


def _sign_in(user, remember=False):
    """A fresh session for ``user``: nothing carried over from before but the language."""
    locale = session.get("locale")
    session.clear()
    login_user(user, remember=remember)
    if user.locale is None and locale:
        services.set_locale(user, locale)
    services.record_login(user)
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@access(anyone)
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = LoginForm()
    if form.validate_on_submit():
        tried = signin.attempt(form.email.data, form.password.data, _signin_link_url)
        if tried.outcome is signin.Outcome.SIGNED_IN:
            _sign_in(tried.user, remember=form.remember.data)
            return redirect(local_target(request.args.get("next"), url_for("site.home")))
        db.session.commit()     # the link mailed, if any, and its audit record
        if tried.outcome is signin.Outcome.THROTTLED:
            form.password.errors.append(_throttled_message())
            return render_template("accounts/login.html", form=form), 429
        form.password.errors.append(_("The e-mail or password is not right."))
    return render_template("accounts/login.html", form=form)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@access(anyone)
def signin_link(token):
    """A mailed one-time sign-in link. Opening it shows a button; only the POST signs in,
    so a mail scanner that fetches the link does not use it up."""
    try:
        user = signin.user_for_link(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("site.home"))
    form = SignInLinkForm()
    if form.validate_on_submit():
        _sign_in(user)
        flash(_("You are signed in."), "success")
        return redirect(url_for("site.home"))
    return render_template("accounts/signin_link.html", form=form, email=user.email)


@bp.route("/logout", methods=["POST"])
@access(is_authenticated)
def logout():
    services.sign_out(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("site.home"))


def _register_limit():
    from flask import current_app
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@access(anyone)
@limiter.limit(_register_limit, methods=["POST"])
def register():
    """A registration answers the same whether the address is new or has an account, so
    the page reveals no account: a new address gets a link to choose its password, an
    address with an account gets a mail saying someone tried (the USCC is public, so a
    taken one is still refused on the form)."""
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = RegistrationForm()
    _district_choices(form)
    if form.validate_on_submit():
        existing = services.find_user_by_email(form.email.data)
        try:
            if existing is None:
                owner = services.register_organisation(
                    kind=form.kind.data, name=form.name.data,
                    credit_code=form.credit_code.data,
                    legal_representative=form.legal_representative.data,
                    registered_address=form.registered_address.data,
                    contact_phone=form.contact_phone.data, district_id=form.district_id.data,
                    bank_account=form.bank_account.data, bank_name=form.bank_name.data,
                    bank_cnaps_code=form.bank_cnaps_code.data,
                    legal_representative_id_kind=form.legal_representative_id_kind.data,
                    legal_representative_id_number=form.legal_representative_id_number.data,
                    firm_tier=form.firm_tier.data or None, certificate=form.certificate(),
                    owner_email=form.email.data, owner_name=form.owner_name.data,
                    locale=_current_locale())
                services.send_registration_link(owner, lambda token: public_url(
                    "accounts.reset_password", token=token),
                    home_link=url_for("site.home"))
            else:
                services.ensure_credit_code_free(form.credit_code.data)
                services.tell_owner_of_registration_attempt(
                    existing, public_url("accounts.login"),
                    public_url("accounts.forgot_password"),
                    locale=_current_locale())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you. We have sent a message to %(email)s: open its link to choose "
                    "your password and sign in.", email=form.email.data.strip()), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form,
                           firm_kind=OrganisationKind.FIRM.value)


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(anyone)
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            lambda token: public_url("accounts.reset_password", token=token))
        db.session.commit()
        flash(_("If an account exists for this address, a link to reset its password is on "
                "its way. It is valid for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(anyone)
def reset_password(token):
    try:
        user = services.user_for_reset_token(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = PasswordResetForm()
    form.identity = (user.email, user.name)
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your password is changed, and your API tokens are revoked. Please sign "
                "in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(anyone)
def accept_invitation(token):
    try:
        invitation = services.invitation_for_token(token)
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("site.home"))
    form = AcceptInvitationForm()
    form.identity = (invitation.email, None)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, name=form.name.data,
                                              password=form.password.data,
                                              locale=_current_locale())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            login_user(user)
            flash(_("Welcome! You joined %(organisation)s.",
                    organisation=invitation.organisation.name), "success")
            return redirect(url_for("site.home"))
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/profile", methods=["GET", "POST"])
@access(is_authenticated)
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        services.set_locale(current_user, form.locale.data)
        session["locale"] = form.locale.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.profile"))
    return _render_profile(profile_form=form)


def _render_profile(profile_form=None, password_form=None, token_form=None, new_token=None,
                    status=200):
    return render_template(
        "accounts/profile.html",
        # the sections other domains draw (notifications: the e-mail preferences)
        sections=answers(signals.profile_page, current_user._get_current_object()),
        profile_form=profile_form or ProfileForm(obj=current_user),
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        token_form=token_form or token_form_blank(),
        tokens=services.api_tokens_of(current_user), new_token=new_token,
        now=now_utc()), status


@bp.route("/profile/password", methods=["POST"])
@access(is_authenticated)
def change_password():
    form = ChangePasswordForm(prefix="pw")
    form.identity = (current_user.email, current_user.name)
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is not right."))
        else:
            services.change_password(current_user, form.password.data)
            db.session.commit()
            # The session version changed: sign this device in again, the others stay out.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed; other devices are signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(password_form=form, status=422)


def token_form(**kwargs):
    return ApiTokenForm(prefix="tok", lifetimes=current_app.config["API_TOKEN_LIFETIMES"],
                        default_days=current_app.config["API_TOKEN_DAYS"], **kwargs)


def token_form_blank():
    return token_form(formdata=None)


@bp.route("/profile/tokens", methods=["POST"])
@access(is_authenticated)
def create_token():
    form = token_form()
    if form.validate_on_submit():
        _token, plaintext = services.issue_api_token(current_user, form.name.data,
                                                     days=form.days.data)
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "warning")
        return _render_profile(new_token=plaintext)
    return _render_profile(token_form=form, status=422)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@access(is_authenticated)
def revoke_token(token_id):
    token = db.session.get(ApiToken, token_id)
    require_visible(perms.owns_api_token, token)
    services.revoke_api_token(token, current_user)
    db.session.commit()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.profile"))


def _render_organisation(org, invite_form=None, status=200):
    from marketplace.accounts import bureau_lists, change_requests, versions

    version = versions.current_version(org)
    db.session.commit()     # a version made for an organisation that had none is kept
    return render_template(
        "accounts/organisation.html", org=org, version=version,
        listed=bureau_lists.tier_on(org.uscc) if org.is_firm else None,
        pending=change_requests.pending_request(org),
        requests=change_requests.requests_of(org)[:10],
        invite_form=invite_form or InviteForm(prefix="inv"),
        invitations=services.pending_invitations(org),
        can_edit=perms.can_edit_organisation(current_user, org),
        can_request=perms.can_request_identity_change(current_user, org)), status


@bp.route("/organisation")
@access(perms.is_organisation_member)
def organisation():
    """The organisation's regulated facts as its current version holds them: they change
    only through a change request an auditor approves (identity_views)."""
    return _render_organisation(current_user.organisation)


@bp.route("/organisation/invitations", methods=["POST"])
@access(perms.is_organisation_owner)
def invite():
    org = current_user.organisation
    form = InviteForm(prefix="inv")
    if form.validate_on_submit():
        _result, refused = attempt(
            services.invite_member,
            org, current_user, form.email.data,
            lambda token: public_url("accounts.accept_invitation", token=token),
            form=form)
        if not refused:
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("accounts.organisation"))
    return _render_organisation(org, invite_form=form, status=422)


@bp.route("/organisation/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(perms.is_organisation_owner)
def revoke_invitation(invitation_id):
    invitation = db.session.get(Invitation, invitation_id)
    require_visible(perms.can_manage_members,
                    invitation.organisation if invitation else None)
    try:
        services.revoke_invitation(invitation, current_user)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("accounts.organisation"))
