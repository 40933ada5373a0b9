"""Form fields shared by every domain."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, RadioField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.core.money import AmountTooLarge, MoneyError, format_fen, yuan_to_fen
from marketplace.core.normalise import MAX_ID

MAX_AMOUNT_FEN = 10**14  # ¥1 trillion: far above any real figure, far below BigInteger


def coerce_id(value):
    """``coerce`` of a field whose choices are ids the service judges (not the form): an
    id no row can have is an invalid choice, not a number PostgreSQL cannot compare."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is not an id")
    return number


class YuanField(StringField):
    """An amount typed in yuan ("200,000" or "1234.50"); ``.data`` is integer fen.

    The typed text is kept on error so the person sees what they wrote.
    """

    def __init__(self, label=None, validators=None, minimum_fen=1, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum_fen = minimum_fen
        self.typed = None

    def process_formdata(self, valuelist):
        self.typed = valuelist[0] if valuelist else ""
        if not self.typed.strip():
            self.data = None
            return
        try:
            self.data = yuan_to_fen(self.typed)
        except AmountTooLarge:
            self.data = None
            raise ValueError(_l("The amount is too large."))
        except MoneyError:
            self.data = None
            raise ValueError(_l("Enter an amount in yuan, such as 200000 or 1234.50."))

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < self.minimum_fen:
            raise ValidationError(_l("The amount must be at least %(min)s.",
                                     min=format_fen(self.minimum_fen)))
        if self.data > MAX_AMOUNT_FEN:
            raise ValidationError(_l("The amount is too large."))

    def _value(self):
        if self.typed is not None:
            return self.typed
        if self.data is None:
            return ""
        return format_fen(self.data, "", grouping=False).removesuffix(".00")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReasonedChoiceForm(FlaskForm):
    """A choice with a reason; ``REASON_NEEDED`` and ``CONFIRM_NEEDED`` name the choices
    that need a reason and an explicit confirmation. Subclasses name their fields through
    ``choice_field`` and ``reason_field`` (and have a ``confirm`` box if any choice needs
    one)."""
    REASON_NEEDED = ()
    CONFIRM_NEEDED = ()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        choice = self.choice_field.data
        if choice in self.REASON_NEEDED and not (self.reason_field.data or "").strip():
            self.reason_field.errors = list(self.reason_field.errors) + [
                str(_l("Please give a reason."))]
            valid = False
        if choice in self.CONFIRM_NEEDED and not self.confirm.data:
            self.confirm.errors = list(self.confirm.errors) + [
                str(_l("Tick the box to confirm this step."))]
            valid = False
        return valid


class ComputeAssessmentsForm(FlaskForm):
    """The year whose assessments an auditor computes (commissioners, experts)."""
    year = IntegerField(_l("Year"), validators=[InputRequired(message=_l("This field is "
                                                                         "required.")),
                                                NumberRange(min=2000, max=2100)])
    submit = SubmitField(_l("Compute the year's assessments"))


class ConfirmAssessmentForm(FlaskForm):
    """A supervisor confirms an assessment and the outcome it brings."""
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm this assessment and its outcome."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Confirm the assessment"))


class ResolveObjectionForm(ReasonedChoiceForm):
    """An objection filed during a public notice (core.notices), dismissed or upheld."""
    REASON_NEEDED = ("uphold", "dismiss")
    CONFIRM_NEEDED = ("uphold",)
    decision = RadioField(_l("Resolution"), choices=[
        ("dismiss", _l("Dismiss the objection")),
        ("uphold", _l("Uphold the objection (rejects the application)")),
    ], validators=[DataRequired(message=_l("Choose a resolution."))])
    resolution = TextAreaField(_l("Findings (sent to the person who objected)"),
                               validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm that upholding rejects the application."))
    submit = SubmitField(_l("Resolve"))

    @property
    def choice_field(self):
        return self.decision

    @property
    def reason_field(self):
        return self.resolution


class NoticeDecisionForm(ReasonedChoiceForm):
    """An application decided before its public notice (core.notices): approve (opens the
    notice), return for correction or reject (both with a reason)."""
    REASON_NEEDED = ("reject", "return")
    CONFIRM_NEEDED = ("reject",)
    decision = RadioField(_l("Decision"), choices=[
        ("approve", _l("Approve and open the public notice")),
        ("return", _l("Return for correction")),
        ("reject", _l("Reject")),
    ], validators=[DataRequired(message=_l("Choose a decision."))])
    reason = TextAreaField(_l("Reason (required to return or reject; shown to the applicant)"),
                           validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm the rejection."))
    submit = SubmitField(_l("Record the decision"))

    @property
    def choice_field(self):
        return self.decision

    @property
    def reason_field(self):
        return self.reason
