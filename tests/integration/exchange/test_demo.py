"""The demo: a demand firm1 posts about carbon-fibre composites shows the demo university's
result first; a second run of the demo adds nothing."""
from sqlalchemy import delete

from marketplace.accounts import services as accounts
from marketplace.demo.exchange import seed_demo_exchange
from marketplace.demo.seed import seed_demo_data
from marketplace.exchange import permissions as perms
from marketplace.exchange import services, suggestions
from marketplace.exchange.models import MatchTerm
from marketplace.extensions import db


def test_firm1s_composites_demand_shows_the_universitys_result_first(app):
    seed_demo_data()
    assert seed_demo_exchange() == (6, 2, 1)
    assert seed_demo_exchange() == (0, 0, 0)
    # an index lost (or older than the listings) is rebuilt by `flask exchange reindex`
    db.session.execute(delete(MatchTerm))
    db.session.commit()
    outcome = app.test_cli_runner().invoke(args=["exchange", "reindex"])
    assert outcome.exit_code == 0 and "listings indexed" in outcome.output
    firm1 = accounts.find_user_by_email("firm1@demo.local")
    university = accounts.find_user_by_email("agency2@demo.local").organisation
    demand = services.create_demand(
        firm1, title="复合材料电池托盘成型工艺", field_code="new_materials",
        description="我们想用碳纤维复合材料做新能源汽车电池托盘，需要快速模压成型的工艺和技术转让。",
        budget_max_fen=1_000_000_00, intends_voucher=True)
    found = suggestions.for_demand(demand)
    first = found["result"][0]
    assert first.listing.agency_id == university.id
    assert "碳纤维" in " ".join(first.reasons["shared_terms"]) and first.reasons["same_field"]
    assert found["agency"] and found["offering"]     # the catalogue is matched too
    assert perms.is_broker(accounts.find_user_by_email("agency1@demo.local"))
    db.session.rollback()
