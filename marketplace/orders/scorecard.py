"""The order domain's figures on an agency's scorecard."""
from statistics import median

from sqlalchemy import func, select

from marketplace.catalogue.scorecards import scorecard_source
from marketplace.extensions import db
from marketplace.orders.models import Delivery, Order, OrderStatus, Rating, TechContract


def rate_bp(part, whole):
    return None if not whole else part * 10_000 // whole


@scorecard_source
def order_figures(agency_id):
    statuses = dict(db.session.execute(
        select(Order.status, func.count(Order.id)).where(Order.agency_id == agency_id)
        .group_by(Order.status)).all())
    completed = statuses.get(OrderStatus.ACCEPTED, 0)
    # orders that reached delivery: accepted, or still in dispute / cancelled after delivery
    delivered = db.session.execute(
        select(TechContract.signed_on, TechContract.due_date, Delivery.delivered_dt)
        .join(Delivery, Delivery.order_id == TechContract.order_id)
        .where(TechContract.seller_id == agency_id)).all()
    ratios = [max((d.delivered_dt.date() - d.signed_on).days, 0) * 10_000
              // max((d.due_date - d.signed_on).days, 1) for d in delivered]
    disputes = db.session.execute(
        select(func.count(Order.id)).where(Order.agency_id == agency_id,
                                           Order.dispute_reason.is_not(None))).scalar_one()
    judged = completed + statuses.get(OrderStatus.DISPUTED, 0)
    count, average = db.session.execute(
        select(func.count(Rating.id), func.avg(Rating.stars)).where(
            Rating.agency_id == agency_id)).one()
    return {
        "orders_completed": completed,
        "median_delivery_ratio_bp": int(median(ratios)) if ratios else None,
        "acceptance_rate_bp": rate_bp(completed, judged),
        "disputes": disputes,
        "rating_count": count,
        "rating_avg_x100": None if not count else int(round(float(average) * 100)),
    }
