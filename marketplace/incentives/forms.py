"""Forms of the rewards for registration (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.core.forms import YuanField
from marketplace.incentives.models import IncentiveRules

REQUIRED = _l("This field is required.")


class ComputeForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(message=REQUIRED),
                                                NumberRange(min=2000, max=2100)])
    submit = SubmitField(_l("Compute the reward list"))


class ApproveForm(FlaskForm):
    confirm = BooleanField(_l("I have reviewed the list: approve it and show each "
                              "organisation its line."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Approve the list"))


class PaidForm(FlaskForm):
    reference = StringField(_l("Payment reference (the bank's batch or voucher number)"),
                            validators=[DataRequired(message=REQUIRED), Length(max=100)])
    confirm = BooleanField(_l("I confirm that every line of this list has been paid."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Record as paid"))


RULE_LABELS = {
    "seller_per_contract_fen": _l("Seller: per contract (yuan)"),
    "seller_rate_bp": _l("Seller: share of the technical transaction amount (basis points)"),
    "seller_cap_fen": _l("Seller: cap per organisation and year (yuan; 0 = no cap)"),
    "buyer_per_contract_fen": _l("Buyer: per contract (yuan)"),
    "buyer_rate_bp": _l("Buyer: share of the technical transaction amount (basis points)"),
    "buyer_cap_fen": _l("Buyer: cap per organisation and year (yuan; 0 = no cap)"),
    "broker_per_contract_fen": _l("Broker agency: per brokered contract (yuan)"),
    "broker_rate_bp": _l("Broker agency: share of the technical transaction amount (basis "
                         "points)"),
    "broker_cap_fen": _l("Broker agency: cap per agency and year (yuan; 0 = no cap)"),
    "office_per_registration_fen": _l("Registration office: per registration (yuan)"),
    "office_cap_fen": _l("Registration office: cap per office and year (yuan; 0 = no cap)"),
    "excludes_related_parties": _l("Exclude contracts between related parties"),
}


class RulesForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(message=REQUIRED),
                                                NumberRange(min=2000, max=2100)])
    note = StringField(_l("Note (why the rules change)"), validators=[Optional(),
                                                                     Length(max=500)])
    submit = SubmitField(_l("Save the rules"))

    def values(self):
        return {name: (int(bool(getattr(self, name).data))
                       if name == "excludes_related_parties" else getattr(self, name).data)
                for name in IncentiveRules.DEFAULTS}


def _rule_field(name):
    if name == "excludes_related_parties":
        return BooleanField(RULE_LABELS[name])
    if name.endswith("_bp"):
        return IntegerField(RULE_LABELS[name], validators=[
            InputRequired(message=REQUIRED), NumberRange(min=0, max=10_000)])
    return YuanField(RULE_LABELS[name], minimum_fen=0,
                     validators=[InputRequired(message=REQUIRED)])


for _name in IncentiveRules.DEFAULTS:
    setattr(RulesForm, _name, _rule_field(_name))
