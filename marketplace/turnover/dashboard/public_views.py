"""The public transparency page (no login): the agencies admitted to the registry with
their admission dates, the redemptions published once disbursed (firm, agency, category,
voucher amount), the budget meters, the year's turnover against its target, and the audit
log's latest checkpoints (a copy outside the database of where the log ended).

Visitors hit it often and nothing on it is personal for them, so a visitor's copy may be
cached for a short while (``Cache-Control: public``) and is kept as long by the page cache
(marketplace/core/page_cache.py); its money figures change with every voucher, so they
rely on that TTL, not on the catalogue's generation. A signed-in user's page carries
their name in the menu and stays private.
"""
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyProfile, AgencyStatus, ServiceCategory
from marketplace.catalogue.models import Offering
from marketplace.claims.models import Claim, ClaimStatus, DisbursementBatch
from marketplace.core.audit import latest_checkpoints
from marketplace.core.page_cache import cached_for_visitors
from marketplace.core.permissions import access, anyone
from marketplace.core.web import page_argument
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.turnover.dashboard import stats
from marketplace.turnover.targets import services as targets
from marketplace.vouchers import budget_use
from marketplace.vouchers import services as vouchers
from marketplace.vouchers.models import Programme

bp = Blueprint("transparency", __name__)

PER_PAGE = 20
PUBLIC_MAX_AGE = 60     # seconds
CHECKPOINTS_SHOWN = 7   # a week of the nightly ones


class RowPagination(Pagination):
    """Flask-SQLAlchemy's pagination over rows of columns (its own yields scalars)."""

    def _query_items(self):
        statement = self._query_args["select"]
        return db.session.execute(
            statement.limit(self.per_page).offset(self._query_offset)).all()

    def _query_count(self):
        statement = self._query_args["select"].order_by(None).subquery()
        return db.session.execute(select(sa.func.count()).select_from(statement)).scalar()


def admitted_agencies_statement():
    return (select(Organisation.name, AgencyProfile.agency_type, AgencyProfile.in_city,
                   AgencyProfile.home_city, AgencyProfile.admitted_dt)
            .join(Organisation, Organisation.id == AgencyProfile.organisation_id)
            .where(AgencyProfile.status == AgencyStatus.ADMITTED)
            .order_by(AgencyProfile.admitted_dt.desc(), Organisation.name))


def disbursed_redemptions_statement():
    """Only disbursed claims are published: earlier states may still be returned,
    rejected or voided."""
    firm, agency = sa.orm.aliased(Organisation), sa.orm.aliased(Organisation)
    return (select(firm.name.label("firm"), agency.name.label("agency"),
                   ServiceCategory.name_zh, ServiceCategory.name_en, Claim.amount_fen,
                   DisbursementBatch.paid_dt)
            .join(Order, Order.id == Claim.order_id)
            .join(Offering, Offering.id == Order.offering_id)
            .join(ServiceCategory, ServiceCategory.id == Offering.category_id)
            .join(firm, firm.id == Claim.firm_id)
            .join(agency, agency.id == Claim.agency_id)
            .outerjoin(DisbursementBatch, DisbursementBatch.id == Claim.disbursement_batch_id)
            .where(Claim.status == ClaimStatus.DISBURSED)
            .order_by(DisbursementBatch.paid_dt.desc().nulls_last(), Claim.id.desc()))


def _page(name):
    return page_argument(name=name)


@bp.route("/transparency")
@cached_for_visitors(seconds=PUBLIC_MAX_AGE)
@access(anyone)
def transparency():
    year = date.today().year
    total = stats.turnover_total(year)
    target = targets.target_for(year)
    programmes = db.session.execute(select(Programme).where(Programme.year == year)
                                    .order_by(Programme.id)).scalars().all()
    meters = [(p, budget_use.budget_figures(p)) for p in programmes]
    redemptions = RowPagination(page=page_argument(), per_page=PER_PAGE, error_out=False,
                                select=disbursed_redemptions_statement())
    agencies = RowPagination(page=_page("agencies_page"), per_page=PER_PAGE,
                             error_out=False, select=admitted_agencies_statement())
    response = current_app.make_response(render_template(
        "turnover/public.html", year=year, total=total, target=target,
        share=stats.share_bp(total.technical_fen, target), meters=meters,
        absorbed=stats.absorbed(stats.Filters.of(year)),
        redemptions=redemptions, agencies=agencies,
        checkpoints=latest_checkpoints(CHECKPOINTS_SHOWN), locale=str(get_locale() or "zh")))
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        response.vary.add("Cookie")
    return response
