"""Commissioners for the tests: an application, a recognised commissioner, a pairing."""
from datetime import timedelta

from marketplace.accounts.models import District
from marketplace.commissioners import activity, services
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from tests.factories import AgencyMemberFactory, staff


def district():
    return db.session.query(District).order_by(District.id).first()


def application_fields(**changes):
    return {"field_code": "new_materials", "organisation_name": "江西省材料科学研究所",
            "title": "研究员", "qualifications": "博士，材料科学与工程",
            "expertise": "金属材料检测与失效分析", "service_areas": "青山湖区的中小企业",
            "district_id": district().id, **changes}


def applied(user=None, **changes):
    user = user or AgencyMemberFactory()
    return services.apply(user, **application_fields(**changes))


def recognised(user=None, auditor=None, since_days=0, **changes):
    """A commissioner through the notice; ``since_days`` back-dates the recognition."""
    auditor = auditor or staff("auditor")
    commissioner = services.decide(applied(user, **changes), auditor, "approve")
    commissioner = services.conclude_notice(commissioner, auditor,
                                            at=now_utc() + timedelta(days=8))
    if since_days:
        commissioner.recognised_dt = now_utc() - timedelta(days=since_days)
    db.session.flush()
    return commissioner


def paired(commissioner, firm_member, since_days=0):
    pairing = activity.request_pairing(commissioner, firm_member, "请指导热处理工艺")
    activity.answer_pairing(pairing, commissioner.user, accept=True)
    if since_days:
        pairing.created_dt = now_utc() - timedelta(days=since_days)
    db.session.flush()
    return pairing


def log(commissioner, pairing, day, **changes):
    return activity.log_service(
        commissioner, commissioner.user, pairing_id=pairing.id, service_on=day,
        **{"place": "企业车间", "participants": "技术部三人", "work_done": "诊断热处理裂纹",
           "outcome": "调整回火温度", **changes})
