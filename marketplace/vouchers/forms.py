"""Forms for programmes, applications and decisions (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, RadioField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                StopValidation, ValidationError)

from marketplace.core.forms import MultiCheckboxField, YuanField


class AmountRequired(DataRequired):
    """DataRequired for a :class:`YuanField`. Plain DataRequired takes text that is no
    amount (``data`` None) or ``0`` for a missing value and replaces the field's own error
    ("Enter an amount in yuan..." / "at least ¥0.01") with "This field is required."."""

    def __call__(self, form, field):
        if field.data is not None:
            return                    # an amount; its range is the field's pre_validate
        if field.errors:              # typed, but not an amount: that error says it
            raise StopValidation()
        super().__call__(form, field)


def _percent_field(label):
    return IntegerField(label, default=50, validators=[
        InputRequired(), NumberRange(min=1, max=100, message=_l("Between 1 and 100."))])


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000,
                                                                             max=2100)])
    budget = YuanField(_l("Budget (yuan)"), validators=[AmountRequired()])
    applications_open_on = DateField(_l("Applications open on"), validators=[DataRequired()])
    applications_close_on = DateField(_l("Applications close on"),
                                      validators=[DataRequired()])
    vouchers_valid_until = DateField(_l("Vouchers valid until"), validators=[DataRequired()])
    share_tech_sme = _percent_field(_l("Voucher share for tech SMEs (%)"))
    share_high_tech = _percent_field(_l("Voucher share for high-tech enterprises (%)"))
    share_benchmark = _percent_field(_l("Voucher share for benchmark high-tech enterprises "
                                        "(%)"))
    cap_tech_sme = YuanField(_l("Cap per tech SME (yuan)"), default=200_000_00,
                             validators=[AmountRequired()])
    cap_high_tech = YuanField(_l("Cap per high-tech enterprise (yuan)"), default=300_000_00,
                              validators=[AmountRequired()])
    cap_benchmark = YuanField(_l("Cap per benchmark high-tech enterprise (yuan)"),
                              default=500_000_00, validators=[AmountRequired()])
    min_order = YuanField(_l("Minimum order (yuan)"), default=5_000_00, minimum_fen=0,
                          validators=[AmountRequired()])
    single_order_max = YuanField(_l("Most a voucher pays for one contract (yuan)"),
                                 default=200_000_00, validators=[AmountRequired()])
    claim_deadline_days = IntegerField(_l("Days to claim after acceptance"), default=90,
                                       validators=[InputRequired(),
                                                   NumberRange(min=1, max=3650)])
    split_window_days = IntegerField(_l("Split orders: contracts within this many days add "
                                        "up"), default=90,
                                     validators=[Optional(), NumberRange(min=1, max=3650)])
    price_ratio_max = IntegerField(_l("Price check: flag a contract above this share of the "
                                      "listed price (%)"), default=150,
                                   validators=[Optional(), NumberRange(min=101, max=10000)])
    category_ratio_max = IntegerField(_l("Price check: flag a contract above this share of the "
                                         "category's usual top (90th percentile, %)"),
                                      default=200, validators=[Optional(),
                                                               NumberRange(min=101, max=10000)])
    category_min_contracts = IntegerField(_l("Price check: contracts a category needs before "
                                             "its usual range counts"), default=10,
                                          validators=[Optional(),
                                                      NumberRange(min=1, max=100000)])
    eligible_categories = MultiCheckboxField(_l("Eligible service categories"),
                                             validators=[Optional()])
    note = StringField(_l("What changed (for the rule history)"),
                       validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save"))

    def validate_applications_close_on(self, field):
        if self.applications_open_on.data and field.data and \
                field.data < self.applications_open_on.data:
            raise ValidationError(_l("The window must close after it opens."))

    def validate_vouchers_valid_until(self, field):
        if self.applications_close_on.data and field.data and \
                field.data < self.applications_close_on.data:
            raise ValidationError(_l("Vouchers must stay valid after the window closes."))

    def rule_values(self):
        return {
            "share_bp_tech_sme": self.share_tech_sme.data * 100,
            "share_bp_high_tech": self.share_high_tech.data * 100,
            "share_bp_benchmark": self.share_benchmark.data * 100,
            "cap_fen_tech_sme": self.cap_tech_sme.data,
            "cap_fen_high_tech": self.cap_high_tech.data,
            "cap_fen_benchmark": self.cap_benchmark.data,
            "min_order_fen": self.min_order.data,
            "single_order_max_fen": self.single_order_max.data,
            "claim_deadline_days": self.claim_deadline_days.data,
            # left empty (or posted by an older form): the default of each
            "split_window_days": self.split_window_days.data or 90,
            "price_ratio_max_bp": (self.price_ratio_max.data or 150) * 100,
            "category_ratio_max_bp": (self.category_ratio_max.data or 200) * 100,
            "category_min_contracts": self.category_min_contracts.data or 10,
            "eligible_category_codes": list(self.eligible_categories.data or []),
        }


class ApplicationForm(FlaskForm):
    requested = YuanField(_l("Amount requested (yuan)"), validators=[AmountRequired()])
    purpose = TextAreaField(_l("What will you buy with the voucher?"),
                            validators=[DataRequired(), Length(min=10, max=2000)])
    planned_categories = MultiCheckboxField(_l("Service categories you plan to buy"),
                                            validators=[Optional()])
    declares_no_double_funding = BooleanField(
        _l("I declare that these services receive no other public funding."))
    submit = SubmitField(_l("Submit the application"))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        ("approve", _l("Approve and issue the voucher")),
        ("return", _l("Return for correction")),
        ("reject", _l("Reject")),
    ], validators=[DataRequired()])
    amount = YuanField(_l("Amount to issue (yuan)"), validators=[Optional()],
                       description=_l("Leave empty to issue the amount requested."))
    comment = TextAreaField(_l("Comment (required to reject or return)"),
                            validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))


class WithdrawForm(FlaskForm):
    submit = SubmitField(_l("Withdraw the application"))
