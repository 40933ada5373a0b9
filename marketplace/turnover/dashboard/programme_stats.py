"""The voucher side of the dashboard in one statement: the budget use of the year's
programmes (as ``vouchers.budget_use.budget_figures`` computes it for one programme), the
funnel from applications to disbursement, and the review SLA of the claims now at a
review stage (from the same deadline ``claims.sla`` watches)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select

from marketplace.claims.models import Claim, ClaimStatus
from marketplace.claims.services import REVIEW_STAGES
from marketplace.core.timeutil import local_year_start
from marketplace.extensions import db
from marketplace.orders.models import Order, TechContract
from marketplace.vouchers import budget_use
from marketplace.vouchers.models import Programme, Voucher, VoucherApplication

FUNNEL_STEPS = ("applications", "vouchers", "orders", "contracts", "claims", "disbursed")


@dataclass
class ProgrammeFigures:
    budget: dict         # budget_fen, issued_fen, reserved_fen, spent_fen, expired_fen,
    #                      available_fen: the keys of templates/vouchers/_meter.html
    funnel: list         # (step, count, amount_fen or None) in FUNNEL_STEPS order
    sla: list            # (stage ClaimStatus, on time, overdue)
    as_of: date


def _scalar(statement):
    return statement.scalar_subquery()


def _count(model, *conditions):
    return _scalar(select(func.count()).select_from(model).where(*conditions))


def _total(column, *conditions):
    return _scalar(select(func.coalesce(func.sum(column), 0)).where(*conditions))


def programme_statement(year, today):
    programmes = select(Programme.id).where(Programme.year == year)
    vouchers = select(Voucher.id).where(Voucher.programme_id.in_(programmes))
    holders = select(Voucher.firm_id).where(Voucher.programme_id.in_(programmes))
    start = local_year_start(year)
    end = local_year_start(year + 1)
    columns = {
        "budget_fen": _total(Programme.budget_fen, Programme.year == year),
        "issued_fen": _total(Voucher.face_value_fen, Voucher.programme_id.in_(programmes)),
        **budget_use.programme_money_columns(programmes),
        "applications": _count(VoucherApplication,
                               VoucherApplication.programme_id.in_(programmes)),
        "applications_fen": _total(VoucherApplication.requested_fen,
                                   VoucherApplication.programme_id.in_(programmes)),
        "vouchers": _count(Voucher, Voucher.programme_id.in_(programmes)),
        "orders": _count(Order, Order.firm_id.in_(holders), Order.created_dt >= start,
                         Order.created_dt < end),
        "contracts": _count(TechContract, TechContract.voucher_id.in_(vouchers),
                            TechContract.is_cancelled.is_(False)),
        "contracts_fen": _total(TechContract.voucher_part_fen,
                                TechContract.voucher_id.in_(vouchers),
                                TechContract.is_cancelled.is_(False)),
        "claims": _count(Claim, Claim.voucher_id.in_(vouchers)),
        "claims_fen": _total(Claim.amount_fen, Claim.voucher_id.in_(vouchers)),
        "disbursed": _count(Claim, Claim.voucher_id.in_(vouchers),
                            Claim.status == ClaimStatus.DISBURSED),
        "disbursed_fen": _total(Claim.amount_fen, Claim.voucher_id.in_(vouchers),
                                Claim.status == ClaimStatus.DISBURSED),
    }
    for stage in REVIEW_STAGES:
        at_stage = Claim.status == stage
        overdue = and_(Claim.stage_due_on.is_not(None), Claim.stage_due_on <= today)
        columns[f"{stage.value}_overdue"] = _count(Claim, at_stage, overdue)
        columns[f"{stage.value}_all"] = _count(Claim, at_stage)
    return select(*[value.label(name) for name, value in columns.items()])


def programme_figures(year, today=None):
    """Budget use, funnel and review SLA for the programmes of ``year``: one statement."""
    today = today or date.today()
    row = db.session.execute(programme_statement(year, today)).mappings().one()
    value = {name: int(row[name] or 0) for name in row.keys()}
    budget = {
        "budget_fen": value["budget_fen"], "issued_fen": value["issued_fen"],
        "reserved_fen": value["reserved_fen"], "spent_fen": value["spent_fen"],
        "expired_fen": value["expired_fen"], "available_fen": value["available_fen"],
    }
    funnel = [(step, value[step], value.get(f"{step}_fen") if step != "vouchers"
               else budget["issued_fen"]) for step in FUNNEL_STEPS]
    sla = [(stage, value[f"{stage.value}_all"] - value[f"{stage.value}_overdue"],
            value[f"{stage.value}_overdue"]) for stage in REVIEW_STAGES]
    return ProgrammeFigures(budget=budget, funnel=funnel, sla=sla, as_of=today)
