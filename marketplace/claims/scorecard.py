"""The claims domain's figure on an agency's scorecard (the order figures are the orders
domain's, marketplace/orders/scorecard.py)."""
from sqlalchemy import func, select

from marketplace.catalogue.scorecards import scorecard_source
from marketplace.claims.models import Claim, ClaimStatus
from marketplace.extensions import db
from marketplace.orders.scorecard import rate_bp

DECIDED_CLAIMS = (ClaimStatus.APPROVED, ClaimStatus.DISBURSED, ClaimStatus.REJECTED)


@scorecard_source
def claim_figures(agency_id):
    claims = dict(db.session.execute(
        select(Claim.status, func.count(Claim.id)).where(Claim.agency_id == agency_id)
        .group_by(Claim.status)).all())
    decided = sum(claims.get(s, 0) for s in DECIDED_CLAIMS)
    return {"claim_rejection_rate_bp": rate_bp(claims.get(ClaimStatus.REJECTED, 0), decided)}
