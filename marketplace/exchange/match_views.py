"""Pages of brokered matches: proposing, answering, the conversation with attachments, the
deal (a registered contract or an order), and marking brokers."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import is_admin, is_reviewer
from marketplace.core import storage
from marketplace.core.errors import NotFound
from marketplace.core.labels import label
from marketplace.core.permissions import access, require, require_visible
from marketplace.core.web import attempt, page_argument
from marketplace.exchange import brokerage
from marketplace.exchange import permissions as perms
from marketplace.exchange.forms import (AnswerForm, BrokerForm, DealForm, MessageForm,
                                        OrderDealForm, ProposeForm, WithdrawForm)
from marketplace.exchange.models import (BrokeredMatch, BrokerProfile, ExchangeMessage,
                                         TechDemand, TechResult)
from marketplace.exchange.views import PER_PAGE, bp, render_demand
from marketplace.extensions import db
from marketplace.orders.models import ContractType


@bp.route("/demands/<int:demand_id>/propose", methods=["POST"])
@access(perms.can_propose_match)
def propose(demand_id):
    demand = db.session.get(TechDemand, demand_id)
    require_visible(perms.can_view_demand, demand)
    form = ProposeForm()
    # a refusal shows the demand again with the note as typed (render_demand), 422
    if not form.validate_on_submit():
        return render_demand(demand, propose_form=form, status=422)
    result = db.session.get(TechResult, form.result_id.data)
    if result is None or not perms.can_view_result(current_user, result):
        flash(_("Choose a result and say why it fits."), "danger")
        return render_demand(demand, propose_form=form, status=422)
    match, refused = attempt(brokerage.propose_match, current_user, demand, result,
                             form.note.data, form=form)
    if refused:
        return render_demand(db.session.get(TechDemand, demand_id), propose_form=form,
                             status=refused.status)
    db.session.commit()
    flash(_("The match is proposed to both parties."), "success")
    return redirect(url_for("exchange.match", match_id=match.id))


@bp.route("/matches")
@access(perms.can_list_matches)
def matches():
    pagination = db.paginate(brokerage.matches_for(current_user), page=page_argument(),
                             per_page=PER_PAGE, error_out=False)
    return render_template("exchange/matches.html", pagination=pagination)


def _match(match_id):
    found = db.session.get(BrokeredMatch, match_id)
    require_visible(perms.can_view_match, found)
    return found


def _deal_form():
    form = DealForm()
    form.contract_type.choices = [(t.value, label(t)) for t in ContractType]
    return form


def _order_form(match):
    form = OrderDealForm()
    form.offering_id.choices = [(o.id, o.title) for o in brokerage.deal_offerings(match)]
    return form


def _render_match(match, message_form=None, deal_form=None, order_form=None,
                  withdraw_form=None, status=200):
    return render_template(
        "exchange/match.html", match=match, answer_form=AnswerForm(),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        can_withdraw=perms.can_withdraw_match(current_user, match),
        message_form=message_form or MessageForm(formdata=None),
        deal_form=deal_form or _deal_form(), order_form=order_form or _order_form(match),
        can_answer=perms.can_answer_match(current_user, match),
        can_post=perms.can_post_message(current_user, match),
        can_register=perms.can_register_deal(current_user, match),
        can_order=perms.can_order_deal(current_user, match),
        show_firm=perms.can_see_demand_firm(current_user, match.demand)), status


@bp.route("/matches/<int:match_id>")
@access(perms.can_list_matches)
def match(match_id):
    return _render_match(_match(match_id))


@bp.route("/matches/<int:match_id>/answer", methods=["POST"])
@access(perms.can_list_matches)
def answer(match_id):
    found = _match(match_id)
    require(perms.can_answer_match, found)
    form = AnswerForm()
    if not form.validate_on_submit() or form.answer.data not in ("accept", "decline"):
        flash(_("Choose to accept or decline."), "danger")
        return redirect(url_for("exchange.match", match_id=match_id))
    brokerage.answer_match(found, current_user, form.answer.data == "accept")
    db.session.commit()
    flash(_("Your answer is recorded."), "success")
    return redirect(url_for("exchange.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/withdraw", methods=["POST"])
@access(perms.can_list_matches)
def withdraw(match_id):
    found = _match(match_id)
    require(perms.can_withdraw_match, found)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_match(found, withdraw_form=form, status=422)
    brokerage.withdraw_match(found, current_user)
    db.session.commit()
    flash(_("The proposal is withdrawn; both parties are told."), "success")
    return redirect(url_for("exchange.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/messages", methods=["POST"])
@access(perms.can_list_matches)
def post_message(match_id):
    found = _match(match_id)
    require(perms.can_post_message, found)
    form = MessageForm()
    if form.validate_on_submit():
        _result, refused = attempt(brokerage.post_message, found, current_user, form.body.data,
                                   form.attachment.data, form=form)
        if not refused:
            db.session.commit()
            return redirect(url_for("exchange.match", match_id=match_id) + "#thread")
    return _render_match(_match(match_id), message_form=form, status=422)


@bp.route("/matches/<int:match_id>/messages/<int:message_id>/attachment")
@access(perms.can_list_matches)
def attachment(match_id, message_id):
    found = _match(match_id)
    message = db.session.get(ExchangeMessage, message_id)
    if message is None or message.match_id != found.id or not message.storage_name:
        raise NotFound()
    return storage.send_stored(message.storage_name, message.content_type,
                                 message.original_name)


@bp.route("/matches/<int:match_id>/register", methods=["POST"])
@access(perms.can_list_matches)
def register_deal(match_id):
    found = _match(match_id)
    require(perms.can_register_deal, found)
    form = _deal_form()
    if form.validate_on_submit():
        _result, refused = attempt(
            brokerage.register_deal,
            found, current_user, contract_type=form.contract_type.data,
            contract_amount_fen=form.contract_amount.data,
            technical_amount_fen=form.technical_amount.data,
            signed_on=form.signed_on.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("The contract is registered and counts toward the turnover."),
                  "success")
            return redirect(url_for("exchange.match", match_id=match_id))
    return _render_match(_match(match_id), deal_form=form, status=422)


@bp.route("/matches/<int:match_id>/order", methods=["POST"])
@access(perms.can_list_matches)
def order_deal(match_id):
    found = _match(match_id)
    require(perms.can_order_deal, found)
    form = _order_form(found)
    if form.validate_on_submit():
        order, refused = attempt(brokerage.order_deal, found, current_user,
                                 form.offering_id.data, form.message.data, form=form)
        if not refused:
            db.session.commit()
            flash(_("The order is requested: the agency sends its quote through the "
                    "order page."), "success")
            return redirect(url_for("orders.order_page", order_id=order.id))
    return _render_match(_match(match_id), order_form=form, status=422)


# --- brokers ------------------------------------------------------------------------------

def _marked():
    statement = select(BrokerProfile).where(BrokerProfile.is_active.is_(True))
    if not (is_reviewer(current_user) or is_admin(current_user)):
        statement = statement.where(BrokerProfile.agency_id == current_user.organisation_id)
    return statement.order_by(BrokerProfile.agency_id, BrokerProfile.user_id)


@bp.route("/brokers", methods=["GET", "POST"])
@access(perms.can_manage_brokers)
def brokers():
    form = BrokerForm()
    status = 200
    if form.validate_on_submit():
        member = db.session.execute(select(User).where(
            User.email == form.email.data.lower(), User.role == Role.AGENCY_MEMBER)).scalar()
        if member is None or not perms.can_mark_broker(current_user, member):
            form.email.errors = [_("No member of an agency you manage has this e-mail.")]
            status = 422
        else:
            _result, refused = attempt(brokerage.set_broker, current_user, member,
                                       form.is_broker.data != "0", form=form)
            if refused:
                status = 422
            else:
                db.session.commit()
                flash(_("The broker list is updated."), "success")
                return redirect(url_for("exchange.brokers"))
    elif form.is_submitted():
        status = 422
    pagination = db.paginate(_marked(), page=page_argument(), per_page=PER_PAGE,
                             error_out=False)
    return render_template("exchange/brokers.html", form=form, pagination=pagination), status
