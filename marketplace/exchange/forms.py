"""Forms of the exchange: they validate and populate, never save."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional)

from marketplace.core.forms import MAX_ID, MultiCheckboxField, YuanField
from marketplace.core.labels import label
from marketplace.exchange.models import IpType, TransferMode
from marketplace.technology_fields.services import field_choices as technology_fields


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def field_choices(locale=None):
    return technology_fields()


class _ListingForm(FlaskForm):
    def set_fields(self, locale):
        self.field_code.choices = field_choices(locale)


class ResultForm(_ListingForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(min=4, max=200)])
    field_code = SelectField(_l("Technology field"), validators=[InputRequired()])
    summary = TextAreaField(_l("Summary"), filters=[_strip],
                            validators=[DataRequired(), Length(min=20, max=5000)])
    ip_type = SelectField(_l("Intellectual property"), validators=[InputRequired()])
    ip_numbers = StringField(_l("Patent or registration numbers"), filters=[_strip],
                             validators=[Optional(), Length(max=500)])
    trl = IntegerField(_l("Technology readiness level (1-9)"), default=4,
                       validators=[InputRequired(), NumberRange(min=1, max=9)])
    transfer_modes = MultiCheckboxField(_l("Transfer modes"),
                                        validators=[DataRequired()])
    asking_price = YuanField(_l("Asking price (yuan; empty = negotiable)"),
                             validators=[Optional()])
    submit = SubmitField(_l("Save the result"))
    # a new result may wait as a draft, seen by its agency only, until it is published
    save_draft = SubmitField(_l("Save as a draft"))

    def set_fields(self, locale):
        super().set_fields(locale)
        self.ip_type.choices = [(t.value, label(t)) for t in IpType]
        self.transfer_modes.choices = [(m.value, label(m)) for m in TransferMode]

    def values(self):
        return {"title": self.title.data, "field_code": self.field_code.data,
                "summary": self.summary.data, "ip_type": self.ip_type.data,
                "ip_numbers": self.ip_numbers.data or "", "trl": self.trl.data,
                "transfer_modes": self.transfer_modes.data,
                "asking_price_fen": self.asking_price.data}

    def fill_from(self, result):
        for name in ("title", "field_code", "summary", "ip_numbers", "trl"):
            getattr(self, name).data = getattr(result, name)
        self.ip_type.data = result.ip_type.value
        self.transfer_modes.data = [m.value for m in result.modes]
        self.asking_price.data = result.asking_price_fen


class DemandForm(_ListingForm):
    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(min=4, max=200)])
    field_code = SelectField(_l("Technology field"), validators=[InputRequired()])
    description = TextAreaField(_l("What do you need solved?"), filters=[_strip],
                                validators=[DataRequired(), Length(min=20, max=5000)])
    budget_min = YuanField(_l("Budget from (yuan, optional)"), minimum_fen=0,
                           validators=[Optional()])
    budget_max = YuanField(_l("Budget up to (yuan, optional)"), minimum_fen=0,
                           validators=[Optional()])
    deadline = DateField(_l("Deadline (optional)"), validators=[Optional()])
    intends_voucher = BooleanField(_l("We intend to use our innovation voucher"))
    submit = SubmitField(_l("Save the demand"))
    # a new demand may wait as a draft, seen by its firm only, until it is published
    save_draft = SubmitField(_l("Save as a draft"))

    def values(self):
        return {"title": self.title.data, "field_code": self.field_code.data,
                "description": self.description.data, "budget_min_fen": self.budget_min.data,
                "budget_max_fen": self.budget_max.data, "deadline": self.deadline.data,
                "intends_voucher": self.intends_voucher.data}

    def fill_from(self, demand):
        for name in ("title", "field_code", "description", "deadline", "intends_voucher"):
            getattr(self, name).data = getattr(demand, name)
        self.budget_min.data = demand.budget_min_fen
        self.budget_max.data = demand.budget_max_fen


class StatusForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])


class ProposeForm(FlaskForm):
    result_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    note = TextAreaField(_l("Why do they fit?"), filters=[_strip],
                         validators=[DataRequired(), Length(min=5, max=2000)])
    submit = SubmitField(_l("Propose to both parties"))


class AnswerForm(FlaskForm):
    answer = HiddenField(validators=[DataRequired()])


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("I withdraw this proposal; it cannot be reopened."),
                           validators=[DataRequired(
                               message=_l("Tick the box to confirm this step."))])
    submit = SubmitField(_l("Withdraw the proposal"))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), filters=[_strip],
                         validators=[DataRequired(), Length(max=5000)])
    attachment = FileField(_l("Attachment (PDF, PNG or JPEG, optional)"))
    submit = SubmitField(_l("Send"))


class DealForm(FlaskForm):
    contract_type = SelectField(_l("Contract type"), validators=[InputRequired()])
    contract_amount = YuanField(_l("Contract amount (yuan)"), validators=[InputRequired()])
    technical_amount = YuanField(_l("Technical transaction amount (yuan)"), minimum_fen=0,
                                 validators=[InputRequired()])
    signed_on = DateField(_l("Signed on"), validators=[InputRequired()])
    submit = SubmitField(_l("Register the contract"))


class OrderDealForm(FlaskForm):
    offering_id = SelectField(_l("Offering to order"), coerce=int,
                              validators=[InputRequired()])
    message = TextAreaField(_l("Message to the agency"), filters=[_strip],
                            validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Request an order"))


class BrokerForm(FlaskForm):
    email = StringField(_l("E-mail of the agency member"), filters=[_strip],
                        validators=[DataRequired(), Length(max=255)])
    is_broker = HiddenField(default="1")
    submit = SubmitField(_l("Mark as broker"))
