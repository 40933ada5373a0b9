"""Forms of the order pages (they validate, never save). The field names match the
``field`` the order services name in their errors, so a refusal lands next to its field.
The forms of steps that move money (contract, payment, acceptance, cancellation and its
answer, mediation) also carry ``{{ idempotency_token_field() }}`` in their templates; their
views are ``@idempotent_form`` (marketplace/core/idempotency.py)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (BooleanField, DateField, HiddenField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from marketplace.core.forms import YuanField
from marketplace.core.normalise import typed_id
from marketplace.orders.models import ContractType
from marketplace.technology_fields.services import field_choices
from marketplace.vouchers.forms import AmountRequired

NO_VOUCHER = "none"
CONTRACT_TYPE_CHOICES = [
    (ContractType.DEVELOPMENT.value, _l("technology development")),
    (ContractType.TRANSFER.value, _l("technology transfer")),
    (ContractType.LICENSING.value, _l("technology licensing")),
    (ContractType.CONSULTING.value, _l("technology consulting")),
    (ContractType.SERVICE.value, _l("technology service")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StepForm(FlaskForm):
    """A form of the order page. Each has its own prefix: one page shows several, and
    their fields (and ids) must not collide."""
    prefix_name = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)


def _reason(label):
    return TextAreaField(label, filters=[_strip],
                         validators=[DataRequired(), Length(max=2000)])


class OrderRequestForm(FlaskForm):
    message = TextAreaField(_l("What do you need?"), filters=[_strip],
                            validators=[DataRequired(), Length(min=5, max=5000)],
                            description=_l("Describe the work, your schedule and anything "
                                           "the agency needs to quote."))


class QuoteForm(StepForm):
    prefix_name = "quote"
    contract_type = SelectField(_l("Contract type"), choices=CONTRACT_TYPE_CHOICES,
                                validators=[InputRequired()])
    contract_amount = YuanField(_l("Contract amount (yuan)"), validators=[AmountRequired()])
    technical_amount = YuanField(
        _l("Technical transaction amount (yuan)"), minimum_fen=0,
        validators=[AmountRequired()],
        description=_l("The contract amount less equipment, materials and other "
                       "non-technical costs."))
    field_code = SelectField(
        _l("Technology field"), validators=[Optional()],
        description=_l("The field of the technology-contract registration system; the "
                       "offering's category suggests one (taken when none is chosen)."))
    deliverables = TextAreaField(_l("Deliverables"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=5000)])
    due_date = DateField(_l("Due date"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_code.choices = field_choices()

    def fill_from(self, quote):
        self.field_code.data = quote.field_code
        self.contract_type.data = quote.contract_type.value
        self.contract_amount.data = quote.contract_amount_fen
        self.technical_amount.data = quote.technical_amount_fen
        self.deliverables.data = quote.deliverables
        self.due_date.data = quote.due_date


class ContractForm(StepForm):
    prefix_name = "contract"
    voucher_id = RadioField(_l("Pay part with"), validators=[InputRequired()])
    # the quote the page showed: a quote the agency replaced meanwhile is not signed
    quote_id = HiddenField()
    confirm = BooleanField(_l("I accept this quote and sign the technology contract."),
                           validators=[DataRequired(_l("Tick the box to sign the "
                                                       "contract."))])

    def voucher_choice(self):
        """The chosen voucher's id, or None for no voucher."""
        return None if self.voucher_id.data == NO_VOUCHER else int(self.voucher_id.data)

    def quote_choice(self):
        """The id of the quote the firm was shown (None: not sent, nothing to compare; an
        id no quote can have (0) names no quote of the order)."""
        if not self.quote_id.data:
            return None
        return typed_id(self.quote_id.data) or 0


class PaymentForm(StepForm):
    prefix_name = "payment"
    # filled in by Stripe.js (static/js/pay.js) from the card the firm types
    payment_method = HiddenField(validators=[
        DataRequired(_l("Enter the card details.")), Length(max=255),
        Regexp(r"^[A-Za-z0-9_]+$", message=_l("Enter the card details."))])


class DeliveryForm(StepForm):
    prefix_name = "delivery"
    summary = TextAreaField(_l("What was delivered"), filters=[_strip],
                            validators=[DataRequired(), Length(max=5000)])
    invoice_number = StringField(_l("Invoice number"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=40)])
    invoice_amount = YuanField(_l("Invoice amount (yuan)"), validators=[AmountRequired()])
    invoice_date = DateField(_l("Invoice date"), validators=[DataRequired()])
    files = MultipleFileField(_l("Deliverable files (PDF, PNG or JPEG, optional)"),
                              validators=[Optional()])


class AcceptanceForm(StepForm):
    """验收: nothing to fill in; the page asks for confirmation before it is sent."""
    prefix_name = "acceptance"


class DisputeForm(StepForm):
    prefix_name = "dispute"
    reason = _reason(_l("What is wrong with the delivery?"))


class CancellationForm(StepForm):
    prefix_name = "cancellation"
    reason = _reason(_l("Why cancel?"))


class CancellationAnswerForm(StepForm):
    prefix_name = "answer"
    decision = RadioField(_l("Your answer"), choices=[("agree", _l("Agree to cancel")),
                                                      ("decline", _l("Decline"))],
                          validators=[InputRequired()])


class MediationForm(StepForm):
    prefix_name = "mediation"
    outcome = RadioField(_l("Outcome"), choices=[
        ("redeliver", _l("The agency delivers again")),
        ("accept", _l("The delivery stands: accepted")),
        ("cancel", _l("Cancel the order (reservation released, co-pay refunded)")),
    ], validators=[InputRequired()])
    note = _reason(_l("Note for both parties"))


class RatingForm(StepForm):
    prefix_name = "rating"
    stars = RadioField(_l("Rating"), coerce=int,
                       choices=[(n, str(n)) for n in range(5, 0, -1)],
                       validators=[InputRequired()])
    comment = TextAreaField(_l("Comment (optional)"), filters=[_strip],
                            validators=[Optional(), Length(max=2000)])


class DocumentForm(StepForm):
    prefix_name = "document"
    kind = SelectField(_l("Kind of document"), validators=[InputRequired()])
    file = FileField(_l("File (PDF, PNG or JPEG)"), validators=[FileRequired()])
