"""Forms of the contract registry (they validate, never save). Field names match the
``field`` the registry services name in their errors."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                Regexp, ValidationError)

from marketplace.core.forms import YuanField
from marketplace.orders.forms import CONTRACT_TYPE_CHOICES
from marketplace.technology_fields.services import field_choices
from marketplace.turnover.models import EARLIEST_DATE
from marketplace.vouchers.forms import AmountRequired

OUTSIDE = "outside"


def _strip(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def district_choices(districts, blank=None):
    choices = [("", blank)] if blank else []
    choices += [(str(d.id), d.name_zh) for d in districts]
    return choices


def _not_before_the_registry(field):
    if field.data and field.data < EARLIEST_DATE:
        raise ValidationError(_l("Give a date from %(year)s on.", year=EARLIEST_DATE.year))


class RegistrationForm(FlaskForm):
    """An off-platform contract of the user's organisation."""
    contract_number = StringField(_l("Contract number"), filters=[_strip],
                                  validators=[DataRequired(), Length(max=60)])
    contract_type = SelectField(_l("Contract type"), choices=CONTRACT_TYPE_CHOICES,
                                validators=[InputRequired()])
    party = RadioField(_l("Your organisation is"), choices=[
        ("seller", _l("the seller (provides the technology)")),
        ("buyer", _l("the buyer"))], validators=[InputRequired()])
    counterparty = StringField(_l("The other party's name"), filters=[_strip],
                               validators=[DataRequired(), Length(max=200)])
    seller_district = SelectField(_l("Seller's district"), validators=[InputRequired()],
                                  description=_l("The seller's location decides where the "
                                                 "contract counts."))
    contract_amount = YuanField(_l("Contract amount (yuan)"), validators=[AmountRequired()])
    technical_amount = YuanField(
        _l("Technical transaction amount (yuan)"), minimum_fen=0,
        validators=[AmountRequired()],
        description=_l("The contract amount less equipment, materials and other "
                       "non-technical costs."))
    field = SelectField(_l("Technology field"), validators=[InputRequired()])
    signed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    registered_on = DateField(_l("Registered on"), validators=[Optional()],
                              description=_l("Leave empty for today."))
    voucher_funded = BooleanField(_l("An innovation voucher paid part of it"))
    note = TextAreaField(_l("Note for the auditor"), filters=[_strip],
                         validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.seller_district.choices = (district_choices(districts)
                                        + [(OUTSIDE, _l("outside the city"))])
        self.field.choices = field_choices()

    def validate_technical_amount(self, field):
        if (field.data is not None and self.contract_amount.data is not None
                and field.data > self.contract_amount.data):
            raise ValidationError(_l("The technical transaction amount cannot exceed the "
                                     "contract amount."))

    def validate_signed_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The date cannot be in the future."))
        _not_before_the_registry(field)
        registered = self.registered_on.data
        if field.data and registered and field.data > registered:
            raise ValidationError(_l("A contract is signed before it is registered."))

    def validate_registered_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The date cannot be in the future."))
        _not_before_the_registry(field)

    def seller_location(self):
        """(district id, in the city?)"""
        if self.seller_district.data == OUTSIDE:
            return None, False
        return int(self.seller_district.data), True


class AdjustmentForm(FlaskForm):
    """An amendment (the contract's new figures) or a cancellation."""
    kind = RadioField(_l("What to register"), choices=[
        ("amendment", _l("an amendment (new figures)")),
        ("cancellation", _l("a cancellation"))], validators=[InputRequired()])
    contract_amount = YuanField(_l("New contract amount (yuan)"), minimum_fen=0)
    technical_amount = YuanField(_l("New technical transaction amount (yuan)"),
                                 minimum_fen=0)
    note = TextAreaField(_l("Reason"), filters=[_strip],
                         validators=[DataRequired(), Length(max=2000)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.kind.data == "amendment":
            for field in (self.contract_amount, self.technical_amount):
                if field.data is None and not field.errors:
                    field.errors = list(field.errors) + [
                        str(_l("Give the new amount for an amendment."))]
                    valid = False
            if (self.contract_amount.data is not None
                    and self.technical_amount.data is not None
                    and self.technical_amount.data > self.contract_amount.data):
                self.technical_amount.errors = list(self.technical_amount.errors) + [
                    str(_l("The technical transaction amount cannot exceed the contract "
                           "amount."))]
                valid = False
        return valid


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("confirm", _l("Confirm")),
                                                   ("reject", _l("Reject"))],
                          validators=[DataRequired(message=_l("Choose a decision."))])
    reason = TextAreaField(_l("Reason (required to reject; shown to the registrant)"),
                           filters=[_strip], validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.decision.data == "reject" and not self.reason.data:
            self.reason.errors = list(self.reason.errors) + [str(_l("Please give a reason."))]
            valid = False
        return valid


class ImportForm(FlaskForm):
    file = FileField(_l("Export file (CSV or XLSX)"), validators=[FileRequired(
        message=_l("Choose a file."))])

    def validate_file(self, field):
        name = (field.data.filename or "").lower() if field.data else ""
        if not name.endswith((".csv", ".xlsx")):
            raise ValidationError(_l("Choose a .csv or .xlsx file."))


class TargetForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(),
                                                NumberRange(min=2000, max=2100)])
    district = SelectField(_l("For"), validate_choice=True)
    target = YuanField(_l("Target (yuan)"), validators=[Optional()],
                       description=_l("Leave empty to remove a district's target."))

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = district_choices(districts, blank=_l("the whole city"))

    def validate_target(self, field):
        if field.data is None and not field.errors and not self.district.data:
            raise ValidationError(_l("Give the city's target."))

    def district_id(self):
        return int(self.district.data) if self.district.data else None


class TechnologyFieldForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and _."))])
    name_zh = StringField(_l("Name (Chinese)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=64)],
                          description=_l("As the registration system's exports write it: "
                                         "imports find the field by this name."))
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=128)])
    sort_order = IntegerField(_l("Sort order"), default=0,
                              validators=[InputRequired(), NumberRange(min=0, max=100000)])
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class FieldConfirmationForm(FlaskForm):
    field_code = SelectField(_l("Technology field"),
                             validators=[InputRequired(message=_l("Choose a field."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_code.choices = field_choices()
