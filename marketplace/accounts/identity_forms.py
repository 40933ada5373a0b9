"""Forms of the regulated facts: a change request with its people, the auditor's
decision. They validate and populate; the services decide."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, RadioField,
                     SelectField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.accounts.forms import CreditCode, OrganisationFieldsMixin
from marketplace.accounts.identity_numbers import ID_KIND_NAMES
from marketplace.accounts.people import ROLE_NAMES, TITLE_NAMES

EXTRA_ROWS = 3      # empty rows offered for new people (no script adds rows)


class PersonForm(Form):
    """One person; an empty name leaves the row out. ``kept`` holds the masked number of a
    person already on file: left blank, the number stays as it is."""
    role = SelectField(_l("Role"), choices=[("", "—")] + list(ROLE_NAMES.items()),
                       validators=[Optional()])
    title = SelectField(_l("Title (officers)"), choices=[("", "—")] + list(TITLE_NAMES.items()),
                        validators=[Optional()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    id_kind = SelectField(_l("Document"), choices=list(ID_KIND_NAMES.items()),
                          default="resident_id", validators=[Optional()])
    id_number = StringField(_l("Document number"), validators=[Optional(), Length(max=30)])
    share_percent = StringField(_l("Share (per cent)"), validators=[Optional(), Length(max=8)])
    kept = HiddenField()

    def validate_share_percent(self, field):
        if not field.data:
            return
        try:
            value = Decimal(field.data.strip().rstrip("%"))
        except InvalidOperation:
            raise ValidationError(_l("A share in percent, e.g. 25 or 12.5."))
        if not value.is_finite():   # "NaN" is a Decimal that cannot be compared
            raise ValidationError(_l("A share in percent, e.g. 25 or 12.5."))
        # kept in basis points: a third decimal would be lost (12.340 is two)
        if value.normalize().as_tuple().exponent < -2:
            raise ValidationError(_l("At most two decimals, e.g. 12.34."))
        if not Decimal("0.01") <= value <= Decimal("100"):
            raise ValidationError(_l("Between 0.01 and 100."))

    def share_bp(self):
        if not self.share_percent.data:
            return None
        return int(Decimal(self.share_percent.data.strip().rstrip("%")) * 100)


class ChangeRequestForm(OrganisationFieldsMixin, FlaskForm):
    credit_code = StringField(_l("Unified social credit code"),
                              validators=[DataRequired(), CreditCode()])
    legal_representative = None         # a person of the list below
    people = FieldList(FormField(PersonForm), min_entries=1, max_entries=60)
    reason = TextAreaField(_l("What changed and why (for the auditor)"),
                           validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Send the request to the auditor"))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        ("approve", _l("Approve: the proposed facts become the next version")),
        ("reject", _l("Reject")),
    ], validators=[DataRequired()])
    comment = TextAreaField(_l("Comment (required to reject; the organisation reads it)"),
                            validators=[Optional(), Length(max=2000)])
    checked = BooleanField(_l("I checked the changed facts against the documents (and "
                              "the certificate, for a tier)."))
    submit = SubmitField(_l("Record the decision"))

    def validate_checked(self, field):
        if self.decision.data == "approve" and not field.data:
            raise ValidationError(_l("Confirm that you checked the documents."))


class WithdrawForm(FlaskForm):
    submit = SubmitField(_l("Withdraw the request"))
