"""Account forms: they validate and populate, never save."""
import email_validator
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, PasswordField,
                     RadioField, SelectField, StringField, SubmitField)
from wtforms.validators import (DataRequired, Email, EqualTo, InputRequired, Length,
                                NumberRange, Optional, Regexp, ValidationError)

from marketplace.accounts import passwords, uscc

# Bureau intranets (and the demo accounts) use ".local" mail domains, which
# email-validator refuses by default as a special-use name.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")
from marketplace.accounts.models import FirmTier, OrganisationKind, Role



class StrongPassword:
    """Refuses a password that is easy to guess or holds the person's e-mail or name
    (marketplace/accounts/passwords.py). The e-mail and name are the form's fields named
    here, else ``form.identity`` (e-mail, name), which the view sets when it knows the
    person (reset, change, invitation)."""

    def __init__(self, email_field=None, name_field=None):
        self.email_field, self.name_field = email_field, name_field

    def __call__(self, form, field):
        email, name = getattr(form, "identity", None) or (None, None)
        if self.email_field:
            email = form[self.email_field].data or email
        if self.name_field:
            name = form[self.name_field].data or name
        why = passwords.weakness(field.data or "", email=email, name=name)
        if why is not None:
            raise ValidationError(str(why))


def password_rules(**identity_fields):
    return [DataRequired(), Length(min=8, max=128, message=_l("Use 8 to 128 characters.")),
            StrongPassword(**identity_fields)]


PASSWORD_RULES = password_rules()
PHONE_RULE = Regexp(r"^[0-9+\-\s()]{5,40}$",
                    message=_l("Use digits, spaces and + - ( ) only."))

CREDIT_CODE_MESSAGES = {
    "length": _l("A unified social credit code has exactly 18 characters."),
    "characters": _l("Only digits and capital letters other than I, O, Z, S and V are "
                     "allowed."),
    "division": _l("Characters 3 to 8 must be the digits of an administrative division."),
    "check": _l("The last (check) character does not match the first 17: please check "
                "the code against the business licence."),
}


class CreditCode:
    """WTForms validator for GB 32100-2015 codes, with a message naming what is wrong."""

    def __call__(self, form, field):
        try:
            field.data = uscc.validate(field.data)
        except uscc.InvalidCreditCode as exc:
            raise ValidationError(CREDIT_CODE_MESSAGES[exc.reason])


def tier_choices():
    return [
        ("", _l("Choose the tier")),
        (FirmTier.TECH_SME.value, _l("Tech SME")),
        (FirmTier.HIGH_TECH.value, _l("High-tech enterprise")),
        (FirmTier.BENCHMARK_HIGH_TECH.value, _l("Benchmark high-tech enterprise")),
    ]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class SignInLinkForm(FlaskForm):
    submit = SubmitField(_l("Sign in"))
ID_KIND_CHOICES = [("resident_id", _l("Resident identity card")),
                   ("other", _l("Passport or other document"))]
CNAPS_RULE = Regexp(r"^[0-9\s\-]*$", message=_l("Digits only."))


class OrganisationFieldsMixin:
    """The regulated facts, as registration and a change request ask for them."""
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"),
                              validators=[DataRequired(), CreditCode()],
                              description=_l("18 characters, as on the business licence."))
    legal_representative = StringField(_l("Legal representative"),
                                       validators=[DataRequired(), Length(max=100)])
    registered_address = StringField(_l("Registered address"),
                                     validators=[DataRequired(), Length(max=300)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), PHONE_RULE])
    district_id = SelectField(_l("District"), coerce=int,
                              validators=[InputRequired(message=_l("Choose a district."))])
    bank_name = StringField(_l("Bank and branch of the account (开户行)"),
                            validators=[Optional(), Length(max=100)])
    bank_cnaps_code = StringField(_l("CNAPS code of the branch (联行号, 12 digits)"),
                                  validators=[Optional(), Length(max=20), CNAPS_RULE])
    bank_account = StringField(_l("Bank account"), validators=[Optional(), Length(max=64),
                               Regexp(r"^[0-9\s\-]+$", message=_l("Digits only."))])
    firm_tier = SelectField(_l("Firm tier"), validators=[Optional()])
    certificate_number = StringField(
        _l("Certificate number of the tier"), validators=[Optional(), Length(max=60)],
        description=_l("Needed when the bureau's certification lists do not list the firm "
                       "in this tier yet: an auditor checks the certificate."))
    certificate_valid_from = DateField(_l("Certificate valid from"), validators=[Optional()])
    certificate_valid_to = DateField(_l("Certificate valid until"), validators=[Optional()])

    def validate_district_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose a district."))

    def certificate(self):
        return {"number": self.certificate_number.data,
                "valid_from": self.certificate_valid_from.data,
                "valid_to": self.certificate_valid_to.data}


class RegistrationForm(OrganisationFieldsMixin, FlaskForm):
    kind = RadioField(_l("I register"), choices=[
        (OrganisationKind.FIRM.value, _l("a firm that buys technology services")),
        (OrganisationKind.AGENCY.value, _l("a service agency that offers them")),
    ], default=OrganisationKind.FIRM.value, validators=[DataRequired()])
    legal_representative_id_kind = SelectField(_l("Identity document of the legal "
                                                  "representative"),
                                               choices=ID_KIND_CHOICES, default="resident_id")
    legal_representative_id_number = StringField(
        _l("Identity-document number of the legal representative"),
        validators=[DataRequired(), Length(max=30)],
        description=_l("Stored only as a keyed hash and shown masked (3601**********1234)."))
    owner_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Register"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Optional() on the tier stops its own validators, so the firm rule lives here.
        if self.kind.data == OrganisationKind.FIRM.value and not self.firm_tier.data:
            self.firm_tier.errors = list(self.firm_tier.errors) + [
                str(_l("Choose the tier of the firm."))]
            valid = False
        return valid


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=PASSWORD_RULES)
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])
    submit = SubmitField(_l("Set the new password"))


class ChangePasswordForm(PasswordResetForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=128)])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail of the colleague"),
                       validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send the invitation"))


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=password_rules(name_field="name"))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match."))])
    submit = SubmitField(_l("Create my account"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    # each language named in itself, and marked so (a screen reader says it right)
    locale = SelectField(_l("Language"), choices=[("zh", "中文", {"lang": "zh-CN"}),
                                                  ("en", "English", {"lang": "en"})])
    submit = SubmitField(_l("Save"))


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("For example the program that will use it."))
    days = SelectField(_l("Works for"), coerce=int, validators=[InputRequired()],
                       description=_l("After that the token stops working; make a new one."))
    submit = SubmitField(_l("Create a token"))

    def __init__(self, *args, lifetimes=(), default_days=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.days.choices = [(days, _l("%(days)s days", days=days)) for days in lifetimes]
        if self.days.data is None and default_days in lifetimes:
            self.days.data = default_days


class StaffUserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[
        (Role.AUDITOR.value, _l("Auditor")), (Role.SUPERVISOR.value, _l("Supervisor")),
        (Role.EXPERT.value, _l("Expert")), (Role.ADMIN.value, _l("Administrator")),
    ])
    password = PasswordField(_l("Initial password"),
                             validators=password_rules(email_field="email", name_field="name"))
    submit = SubmitField(_l("Create the account"))


class DistrictForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32),
                       Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and _."))])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=128)])
    sort_order = IntegerField(_l("Sort order"), default=0,
                              validators=[InputRequired(), NumberRange(min=0, max=100000)])
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))
