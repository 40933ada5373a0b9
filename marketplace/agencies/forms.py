"""Forms of the agency registry (they validate, never save)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, Length, NumberRange, Optional, StopValidation,
                                ValidationError)

from marketplace.agencies.models import AgencyType, DocumentKind
from marketplace.core.forms import (MultiCheckboxField, NoticeDecisionForm,
                                    ReasonedChoiceForm)

AGENCY_TYPE_CHOICES = [
    (AgencyType.LOCAL_INTERMEDIARY.value, _l("local intermediary")),
    (AgencyType.UNIVERSITY.value, _l("university")),
    (AgencyType.INSTITUTE.value, _l("research institute")),
    (AgencyType.OTHER.value, _l("other")),
]
DOCUMENT_KIND_CHOICES = [
    (DocumentKind.BUSINESS_LICENCE.value, _l("business licence / registration certificate")),
    (DocumentKind.ACCREDITATION.value, _l("accreditation certificate")),
    (DocumentKind.OTHER.value, _l("other")),
]
LOCATION_CHOICES = [("in_city", _l("in the city")), ("out_of_town", _l("out of town"))]


class CountField(IntegerField):
    """A whole number; what was typed stays on error, with one message saying what is
    wrong (not WTForms' own "Not a valid integer value.")."""

    def process_formdata(self, valuelist):
        typed = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if typed:
            try:
                self.data = int(typed)
            except ValueError:
                raise ValueError(_l("Enter a whole number."))


class CountRequired:
    field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None:
            if field.errors:          # typed, but not a number: that error says it
                raise StopValidation()
            raise StopValidation(_l("Enter a whole number."))


def _count(label, maximum, description=None):
    return CountField(label, description=description, validators=[
        CountRequired(),
        NumberRange(min=0, max=maximum, message=_l("Between %(min)s and %(max)s."))])


class ProfileForm(FlaskForm):
    agency_type = SelectField(_l("Type of agency"), choices=AGENCY_TYPE_CHOICES,
                              validators=[DataRequired()])
    location = RadioField(_l("Location"), choices=LOCATION_CHOICES, default="in_city",
                          validators=[DataRequired()])
    # no Optional(): it would stop the check that an out-of-town agency names its city
    home_city = StringField(_l("Home city (out-of-town agencies)"),
                            validators=[Length(max=100)])
    category_ids = MultiCheckboxField(_l("Service categories"), coerce=int,
                                    validators=[Optional()])
    introduction = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=5000)],
                                 description=_l("What the agency does, for whom, and its "
                                                "strengths (at least 20 characters)."))
    staff_count = _count(_l("Staff"), 100000)
    qualified_staff_count = _count(_l("Qualified staff"), 100000,
                                   _l("Staff holding a professional qualification."))
    staff_qualifications = TextAreaField(_l("Staff qualifications"),
                                         validators=[Optional(), Length(max=3000)])
    years_in_operation = _count(_l("Years in operation"), 300)
    fee_schedule = TextAreaField(_l("Fee schedule"), validators=[Optional(), Length(max=3000)])
    submit = SubmitField(_l("Save the application"))

    def validate_home_city(self, field):
        if self.location.data == "out_of_town" and not (field.data or "").strip():
            raise ValidationError(_l("Name the city where an out-of-town agency is based."))

    def validate_qualified_staff_count(self, field):
        if field.data is not None and self.staff_count.data is not None \
                and field.data > self.staff_count.data:
            raise ValidationError(_l("Cannot be more than the staff."))

    def fill_from(self, profile):
        self.agency_type.data = profile.agency_type.value
        self.location.data = "in_city" if profile.in_city else "out_of_town"
        self.home_city.data = profile.home_city or ""
        self.category_ids.data = [c.id for c in profile.categories]
        for name in ("introduction", "staff_count", "qualified_staff_count",
                     "staff_qualifications", "years_in_operation", "fee_schedule"):
            getattr(self, name).data = getattr(profile, name)

    def profile_fields(self):
        in_city = self.location.data == "in_city"
        return {
            "agency_type": AgencyType(self.agency_type.data),
            "in_city": in_city,
            "home_city": None if in_city else self.home_city.data.strip(),
            "introduction": (self.introduction.data or "").strip(),
            "staff_count": self.staff_count.data,
            "qualified_staff_count": self.qualified_staff_count.data,
            "staff_qualifications": (self.staff_qualifications.data or "").strip(),
            "years_in_operation": self.years_in_operation.data,
            "fee_schedule": (self.fee_schedule.data or "").strip(),
        }


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=DOCUMENT_KIND_CHOICES,
                       validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    expires_on = DateField(_l("Valid until"), validators=[DataRequired(
        message=_l("Enter the date until which the document is valid."))])
    file = FileField(_l("File (PDF, PNG or JPEG)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))

    def validate_expires_on(self, field):
        if field.data and field.data <= date.today():
            raise ValidationError(_l("The document has already expired."))


class SubmitApplicationForm(FlaskForm):
    confirm = BooleanField(_l("I confirm that the application is complete and true; it "
                              "cannot be changed while the bureau reviews it."))
    submit = SubmitField(_l("Submit the application"))


class ReopenForm(FlaskForm):
    submit = SubmitField(_l("Correct the application and apply again"))


class WithdrawDocumentForm(FlaskForm):
    submit = SubmitField(_l("Withdraw"))


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[
        DataRequired(), Length(max=4000), Length(min=10, message=_l(
            "Explain the objection in at least 10 characters."))],
        description=_l("What you know against the admission of this agency, with facts "
                       "the bureau can check."))
    submit = SubmitField(_l("File the objection"))


class DecisionForm(NoticeDecisionForm):
    reason = TextAreaField(_l("Reason (required to return or reject; shown to the agency)"),
                           validators=[Optional(), Length(max=2000)])


class StatusForm(ReasonedChoiceForm):
    REASON_NEEDED = ("suspend", "remove")
    CONFIRM_NEEDED = ("remove",)
    action = RadioField(_l("Action"), choices=[
        ("suspend", _l("Suspend")),
        ("reinstate", _l("Reinstate")),
        ("remove", _l("Remove from the registry")),
    ], validators=[DataRequired(message=_l("Choose an action."))])
    reason = TextAreaField(_l("Reason (shown to the agency)"),
                           validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm: removal is final, its offerings are hidden and its "
                              "open orders are flagged."))
    submit = SubmitField(_l("Apply"))

    @property
    def choice_field(self):
        return self.action

    @property
    def reason_field(self):
        return self.reason

    def limit_to(self, actions):
        self.action.choices = [c for c in self.action.choices if c[0] in actions]


class ConcludeNoticeForm(FlaskForm):
    submit = SubmitField(_l("Conclude the notice and admit"))
