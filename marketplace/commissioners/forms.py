"""Forms of the commissioners' pages: they validate and populate, never save."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from marketplace.commissioners.models import CommissionerRules
from marketplace.core.forms import ReasonedChoiceForm
from marketplace.technology_fields.services import field_choices

REQUIRED = _l("This field is required.")


def _required():
    return DataRequired(message=REQUIRED)


class ApplicationForm(FlaskForm):
    field_code = SelectField(_l("Technology field"), validators=[_required()])
    organisation_name = StringField(_l("Organisation (university, institute, agency or firm)"),
                                    validators=[_required(), Length(max=200)])
    title = StringField(_l("Professional title and position"),
                        validators=[_required(), Length(max=200)])
    qualifications = TextAreaField(_l("Qualifications (degrees, certificates, achievements)"),
                                   validators=[_required(), Length(max=4000)])
    expertise = TextAreaField(_l("Expertise: what you can help with"),
                              validators=[_required(), Length(max=4000)])
    service_areas = TextAreaField(_l("Areas, firms, villages or parks you will serve"),
                                  validators=[_required(), Length(max=4000)])
    district_id = SelectField(_l("District where you will mainly serve"), coerce=int,
                              validators=[_required()])
    submit = SubmitField(_l("Submit the application"))

    def set_choices(self, districts, locale):
        self.field_code.choices = [("", _l("Choose a field"))] + field_choices()
        self.district_id.choices = [(0, _l("Choose a district"))] + [
            (d.id, d.display_name(locale)) for d in districts]


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection (what the bureau should know)"),
                         validators=[_required(), Length(min=10, max=4000)])
    submit = SubmitField(_l("File the objection"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the commissioner)"),
                           validators=[_required(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm: the commissioner leaves the directory and their "
                              "pairings end."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Withdraw the recognition"))


class PairingRequestForm(FlaskForm):
    note = TextAreaField(_l("What would you like help with?"),
                         validators=[_required(), Length(max=2000)])
    submit = SubmitField(_l("Ask to be paired"))


class BureauPairingForm(FlaskForm):
    kind = RadioField(_l("Pair with"), choices=[
        ("firm", _l("a firm on the platform")), ("village", _l("a village")),
        ("park", _l("an industrial park"))], default="firm",
        validators=[DataRequired(message=_l("Choose what to pair with."))])
    firm_code = StringField(_l("Firm's credit code (a firm)"),
                            validators=[Optional(), Length(max=18)])
    place_name = StringField(_l("Name of the village or park"),
                             validators=[Optional(), Length(max=200)])
    district_id = SelectField(_l("District (a village or park)"), coerce=int,
                              validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Pair"))

    def set_choices(self, districts, locale):
        self.district_id.choices = [(0, _l("Choose a district"))] + [
            (d.id, d.display_name(locale)) for d in districts]

    def validate_firm_code(self, field):
        if self.kind.data == "firm" and not (field.data or "").strip():
            raise ValidationError(_l("Give the firm's credit code."))

    def validate_place_name(self, field):
        if self.kind.data in ("village", "park") and not (field.data or "").strip():
            raise ValidationError(_l("Name the village or park."))


class AnswerPairingForm(FlaskForm):
    decision = RadioField(_l("Answer"), choices=[("accept", _l("Accept")),
                                                 ("decline", _l("Decline"))],
                          validators=[DataRequired(message=_l("Choose an answer."))])
    submit = SubmitField(_l("Answer"))


class EndPairingForm(FlaskForm):
    submit = SubmitField(_l("End the pairing"))


class ServiceForm(FlaskForm):
    pairing_id = SelectField(_l("Served firm, village or park"), coerce=int,
                             validators=[_required()])
    service_on = DateField(_l("Date of the service"), validators=[_required()])
    place = StringField(_l("Place"), validators=[_required(), Length(max=200)])
    participants = TextAreaField(_l("Who took part"),
                                 validators=[_required(), Length(max=2000)])
    work_done = TextAreaField(_l("What was done"), validators=[_required(), Length(max=4000)])
    outcome = TextAreaField(_l("Service outcome"), validators=[_required(),
                                                               Length(max=4000)])
    attachments = MultipleFileField(_l("Attachments (PDF, PNG or JPEG; at most 3)"))
    submit = SubmitField(_l("Log the service"))

    def set_pairings(self, pairings):
        self.pairing_id.choices = [(0, _l("Choose whom you served"))] + [
            (p.id, p.served_name) for p in pairings]

    def validate_service_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("A service is logged once it has taken place."))


class AnswerServiceForm(ReasonedChoiceForm):
    REASON_NEEDED = ("dispute",)
    decision = RadioField(_l("Answer"), choices=[
        ("confirm", _l("Confirm: the service took place as recorded")),
        ("dispute", _l("Dispute this record"))],
        validators=[DataRequired(message=_l("Choose an answer."))])
    reason = TextAreaField(_l("What is wrong (required to dispute)"),
                           validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send the answer"))

    choice_field = property(lambda self: self.decision)
    reason_field = property(lambda self: self.reason)


RULE_LABELS = {
    "min_services": _l("Minimum confirmed services a year"),
    "min_firms": _l("Minimum firms, villages or parks served"),
    "silence_days": _l("Days of silence before a reminder"),
    "min_confirmed_rate_bp": _l("Minimum share of services confirmed (basis points; 0 = "
                                "none)"),
    "excellent_services": _l("Confirmed services for \"excellent\""),
    "excellent_firms": _l("Served for \"excellent\""),
    "excellent_confirmed_rate_bp": _l("Share confirmed for \"excellent\" (basis points)"),
}


class RulesForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[_required(), NumberRange(min=2000, max=2100)])
    note = StringField(_l("Note (why the rules change)"),
                       validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save the rules"))


def _rule_field(name):
    upper = 10_000 if name.endswith("_bp") else 100_000
    lower = 1 if name == "silence_days" else 0
    return IntegerField(RULE_LABELS[name], validators=[
        InputRequired(message=REQUIRED), NumberRange(min=lower, max=upper)])


for _name in CommissionerRules.DEFAULTS:
    setattr(RulesForm, _name, _rule_field(_name))
