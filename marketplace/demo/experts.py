"""Demo expert pool: expert1-3 cover every field the demo offerings that take vouchers
are in, so a demo claim of ¥100,000 or more draws a full panel of three."""
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.agencies.models import ServiceCategory
from marketplace.claims.expert_models import ExpertProfile
from marketplace.core import audit
from marketplace.demo.agencies import OFFERINGS
from marketplace.extensions import db

TITLES = {
    "expert1@demo.local": "教授，材料科学与工程",
    "expert2@demo.local": "研究员，技术经济与知识产权",
    "expert3@demo.local": "高级工程师，工业软件与标准化",
}


def demo_field_codes():
    """The categories of the demo offerings that accept vouchers (those a claim can be in)."""
    return sorted({offering[1] for offerings in OFFERINGS.values() for offering in offerings
                   if offering[5]})


def seed_demo_experts():
    """A profile for each demo expert who has none; returns how many were added."""
    fields = db.session.execute(select(ServiceCategory).where(
        ServiceCategory.code.in_(demo_field_codes()))).scalars().all()
    added = 0
    for email, title in TITLES.items():
        user = accounts.find_user_by_email(email)
        if user is None or db.session.get(ExpertProfile, user.id) is not None:
            continue
        profile = ExpertProfile(user_id=user.id, title=title, fields=list(fields))
        db.session.add(profile)
        db.session.flush()
        audit.record(profile, "create", after="active",
                     data={"fields": sorted(c.code for c in fields)})
        added += 1
    return added
