"""Forms of the claim pages (they validate, never save). Forms that move money carry a
one-time token (marketplace/core/idempotency.py): a double click acts once."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.core.forms import YuanField, coerce_id
from marketplace.core.idempotency import IdempotencyTokenField


class DecisionForm(FlaskForm):
    """approve / return / reject; a reason for the last two, a tick to reject."""
    REASON_NEEDED = ("reject", "return")
    CONFIRM_NEEDED = ("reject",)
    decision = RadioField(_l("Decision"), choices=[
        ("approve", _l("Approve")),
        ("return", _l("Return for correction")),
        ("reject", _l("Reject")),
    ], validators=[DataRequired(message=_l("Choose a decision."))])
    comment = TextAreaField(_l("Comment (required to return or reject; shown to the firm "
                               "and the agency)"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm the rejection."))
    idempotency_token = IdempotencyTokenField()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.decision.data in self.REASON_NEEDED and not (self.comment.data or "").strip():
            self.comment.errors = list(self.comment.errors) + [str(_l("Please give a reason."))]
            valid = False
        if self.decision.data in self.CONFIRM_NEEDED and not self.confirm.data:
            self.confirm.errors = list(self.confirm.errors) + [
                str(_l("Tick the box to confirm this step."))]
            valid = False
        return valid


class ResubmitForm(FlaskForm):
    note = TextAreaField(_l("What did you correct?"), validators=[
        DataRequired(message=_l("Tell the auditor what you corrected.")), Length(max=2000)])


class AssignmentForm(FlaskForm):
    auditor = SelectField(_l("Auditor"), coerce=coerce_id, validate_choice=False,
                          validators=[DataRequired(message=_l("Choose an active auditor."))])


class BatchForm(FlaskForm):
    # the service judges each id (approved and not yet in a batch), not the form
    claim_ids = SelectMultipleField(_l("Claims"), coerce=coerce_id, validate_choice=False)
    copay_order_ids = SelectMultipleField(_l("Co-pays"), coerce=coerce_id,
                                          validate_choice=False)
    idempotency_token = IdempotencyTokenField()


class PaidForm(FlaskForm):
    treasury_reference = StringField(_l("Treasury payment reference"), validators=[
        DataRequired(message=_l("Give the treasury's payment reference.")),
        Length(max=100)])
    confirm = BooleanField(_l("I confirm that the treasury has paid every line of this "
                              "batch."), validators=[
        DataRequired(message=_l("Tick the box to confirm this step."))])
    idempotency_token = IdempotencyTokenField()


class BankResultForm(FlaskForm):
    """The bank's result file of a batch (回单), read back once confirmed. Its fields have
    names of their own: the treasury's form on the same page has a ``confirm`` too."""
    result_file = FileField(_l("The bank's result file"), validators=[
        FileRequired(message=_l("Choose the bank's result file."))],
        # the columns' names are the file's words, not the page's: shown as code
        description=_l("CSV (UTF-8 or GB18030) or XLSX with the columns <code>reference</code> "
                       "(参考号), <code>status</code> (状态: <code>paid</code>/成功, "
                       "<code>failed</code>/失败, <code>returned</code>/退汇), "
                       "<code>amount</code> (金额), <code>bank_reference</code> (银行流水号) "
                       "and <code>reason</code> (原因)."))
    confirm_result = BooleanField(_l("I confirm that this is the bank's answer for this batch: paid "
                              "lines are posted as paid, the others become payable again."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    idempotency_token = IdempotencyTokenField()

    def validate_result_file(self, field):
        name = (field.data.filename or "").lower() if field.data else ""
        if not name.endswith((".csv", ".xlsx")):
            raise ValidationError(_l("Choose a .csv or .xlsx file."))


class RepaymentForm(FlaskForm):
    """An agency paid back (part of) what it owed: the bank's reference and the amount."""
    amount = YuanField(_l("Amount repaid (yuan)"), validators=[
        DataRequired(message=_l("Give the amount repaid."))])
    reference = StringField(_l("Bank reference of the repayment"), validators=[
        DataRequired(message=_l("Give the bank's reference of the repayment.")),
        Length(max=100)])
    idempotency_token = IdempotencyTokenField()


class OverrideForm(FlaskForm):
    reason = TextAreaField(_l("Why the claim may go on despite its blocking checks"),
                           validators=[DataRequired(message=_l("Please give a reason.")),
                                       Length(max=2000)])
    confirm = BooleanField(_l("I take responsibility for overriding these checks; my name "
                              "and reason are shown on the claim and in the audit log."),
                           validators=[DataRequired(message=_l("Tick the box to confirm "
                                                               "this step."))])
    idempotency_token = IdempotencyTokenField()
