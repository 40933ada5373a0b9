"""Forms of the expert-pool pages (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, PasswordField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Email, Length, Optional

from marketplace.experts.provinces import province_choices

CODE_HELP = _l("The unified social credit code of an organisation on the platform.")


class ExpertProfileForm(FlaskForm):
    """An expert's profile; ``new`` adds the account fields."""
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(
        _l("Initial password (a new account only)"),
        validators=[Optional(), Length(min=8, max=128, message=_l("Use 8 to 128 characters."))])
    title = StringField(_l("Title and position"), validators=[Optional(), Length(max=200)])
    field_ids = SelectMultipleField(_l("Fields of expertise"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one field of expertise."))])
    organisation_code = StringField(_l("Organisation the expert works for (optional)"),
                                    description=CODE_HELP,
                                    validators=[Optional(), Length(max=18)])
    province = SelectField(_l("Province where the expert works"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, new=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not new:   # the account exists: its fields are not edited here
            for name in ("email", "name", "password"):
                delattr(self, name)

    def set_categories(self, found, locale):
        self.field_ids.choices = [(c.id, c.display_name(locale)) for c in found]
        self.province.choices = [("", _l("Not stated"))] + province_choices(locale)


class ConflictForm(FlaskForm):
    organisation_code = StringField(_l("Organisation's credit code"), description=CODE_HELP,
                                    validators=[DataRequired(), Length(max=18)])
    reason = TextAreaField(_l("Reason (employment, shareholding, family...)"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])
    submit = SubmitField(_l("Record the tie"))


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the suspension"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])
    submit = SubmitField(_l("Suspend from draws"))


class ReinstateForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the reinstatement"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])
    confirm = BooleanField(_l("I confirm that this expert may be drawn again."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Reinstate"))
