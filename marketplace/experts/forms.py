"""Forms of the expert pool's growth (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange,
                                Optional)

from marketplace.core.forms import MultiCheckboxField, ReasonedChoiceForm
from marketplace.experts.provinces import province_choices

REQUIRED = _l("This field is required.")


class ExpertApplicationForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=REQUIRED), Email(),
                                                 Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED),
                                               Length(max=100)])
    title = StringField(_l("Title and position"), validators=[DataRequired(message=REQUIRED),
                                                              Length(max=200)])
    organisation_name = StringField(_l("Organisation you work for"), validators=[
        DataRequired(message=REQUIRED), Length(max=200)])
    organisation_code = StringField(
        _l("Its credit code, if it is on the platform (optional)"),
        validators=[Optional(), Length(max=18)])
    province = SelectField(_l("Province where you work"),
                           validators=[DataRequired(message=REQUIRED)])
    field_ids = MultiCheckboxField(_l("Fields of expertise"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one field of expertise."))])
    conflict_codes = TextAreaField(
        _l("Credit codes of organisations you are tied to (one a line; optional)"),
        validators=[Optional(), Length(max=2000)])
    declared_conflicts = TextAreaField(
        _l("Your ties (employment, shareholding, family...) and to whom"),
        validators=[Optional(), Length(max=4000)])
    truthful = BooleanField(_l("I declare that these facts are true and complete."),
                            validators=[DataRequired(
                                message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Apply to join the expert pool"))

    def set_choices(self, categories, locale):
        self.province.choices = [("", _l("Choose a province"))] + province_choices(locale)
        self.field_ids.choices = [(c.id, c.display_name(locale)) for c in categories]


class ApplicationDecisionForm(ReasonedChoiceForm):
    REASON_NEEDED = ("reject",)
    CONFIRM_NEEDED = ("reject",)
    decision = RadioField(_l("Decision"), choices=[
        ("admit", _l("Admit to the pool")), ("reject", _l("Reject"))],
        validators=[DataRequired(message=_l("Choose a decision."))])
    reason = TextAreaField(_l("Reason (required to reject; sent to the applicant)"),
                           validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm the rejection."))
    submit = SubmitField(_l("Record the decision"))

    choice_field = property(lambda self: self.decision)
    reason_field = property(lambda self: self.reason)


class PoolSettingForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(message=REQUIRED),
                                                NumberRange(min=2000, max=2100)])
    target_percent = IntegerField(
        _l("Target share of experts from outside the province (%)"),
        validators=[InputRequired(message=REQUIRED), NumberRange(min=0, max=100)])
    require_out_of_province = BooleanField(
        _l("Each large claim's panel includes an expert from outside the province"))
    submit = SubmitField(_l("Save"))
