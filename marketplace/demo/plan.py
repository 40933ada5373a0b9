"""`flask seed-demo`: the rest of the bureau's plan. Eight recognised commissioners of the
demo university and institute, each paired with a demo firm, a village and a park, with a
year of logged services (most confirmed, some waiting, one disputed); three experts from
outside the province; last year's rewards for registration, computed, approved and paid.
Idempotent: a second run adds nothing."""
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import District, Role, User
from marketplace.agencies.reference import active_categories
from marketplace.claims.expert_models import ExpertProfile
from marketplace.commissioners import activity
from marketplace.commissioners import services as commissioners
from marketplace.core.timeutil import now_utc
from marketplace.experts import services as expert_pool
from marketplace.extensions import db
from marketplace.incentives import services as rewards
from marketplace.orders.models import ContractType
from marketplace.turnover.models import ContractRegistration, RegistrationSource
from marketplace.turnover.registry import registration

PASSWORD = "demo12345"
# (e-mail, name, agency owner's e-mail, field, district code, title, expertise)
COMMISSIONERS = (
    ("commissioner1@demo.local", "周明 Zhou Ming", "agency2@demo.local", "new_materials",
     "high_tech_zone", "教授", "高分子复合材料的配方与工艺改进"),
    ("commissioner2@demo.local", "吴芳 Wu Fang", "agency2@demo.local", "electronic_information",
     "honggutan", "副教授", "工业软件、数据采集与车间数字化"),
    ("commissioner3@demo.local", "郑涛 Zheng Tao", "agency2@demo.local", "advanced_manufacturing",
     "nanchang_county", "高级工程师", "数控加工工艺、夹具设计与质量控制"),
    ("commissioner4@demo.local", "孙丽 Sun Li", "agency2@demo.local", "agriculture",
     "jinxian", "研究员", "水稻良种繁育与绿色防控技术"),
    ("commissioner5@demo.local", "钱伟 Qian Wei", "agency3@demo.local", "new_materials",
     "qingshanhu", "研究员", "金属材料检测、失效分析与热处理"),
    ("commissioner6@demo.local", "冯静 Feng Jing", "agency3@demo.local", "environment",
     "xinjian", "高级工程师", "工业废水处理与固废资源化"),
    ("commissioner7@demo.local", "陈刚 Chen Gang", "agency3@demo.local", "biomedicine",
     "etdz", "副研究员", "中药制剂工艺与质量标准"),
    ("commissioner8@demo.local", "褚洁 Chu Jie", "agency3@demo.local", "new_energy",
     "ganjiang", "教授级高工", "光伏组件与储能系统的节能改造"),
)
PLACES = (("village", "进贤县三里乡光明村"), ("park", "南昌小蓝经济技术开发区汽车零部件产业园"))
# three experts from other provinces: (e-mail, name, title, organisation, province)
OUTSIDE_EXPERTS = (
    ("expert4@demo.local", "上海专家 Expert Four", "教授，材料加工工程", "上海交通大学", "31"),
    ("expert5@demo.local", "湖北专家 Expert Five", "研究员，技术经济", "武汉理工大学", "42"),
    ("expert6@demo.local", "广东专家 Expert Six", "高级工程师，检验检测", "广东省测试分析研究所",
     "44"),
)
REWARD_CONTRACTS = 120


def _at(day):
    return datetime.combine(day, time(9, 0), tzinfo=timezone.utc)


def _district(code):
    return db.session.execute(select(District).where(District.code == code)).scalar_one()


def seed_demo_commissioners(today=None):
    """Returns how many commissioners were added."""
    today = today or date.today()
    auditor = accounts.find_user_by_email("auditor@demo.local")
    firms = [accounts.find_user_by_email(e) for e in ("firm1@demo.local", "firm2@demo.local")]
    added = 0
    for index, (email, name, agency_email, field, district_code, title, expertise) \
            in enumerate(COMMISSIONERS):
        if accounts.find_user_by_email(email) is not None:
            continue
        agency = accounts.find_user_by_email(agency_email).organisation
        user = User(email=email, name=name, role=Role.AGENCY_MEMBER, organisation=agency,
                    locale="zh")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        commissioner = commissioners.apply(
            user, field_code=field, organisation_name=agency.name, title=title,
            qualifications="博士，从事相关领域研究与技术服务十年以上", expertise=expertise,
            service_areas="南昌市中小企业、乡村与产业园区", district_id=_district(district_code).id)
        commissioners.decide(commissioner, auditor, "approve")
        start = date(today.year, 1, 6) + timedelta(days=index)
        commissioner = commissioners.conclude_notice(commissioner, auditor, at=now_utc()
                                                     + timedelta(days=8))
        commissioner.recognised_dt = _at(start)
        _serve(commissioner, user, auditor, firms[index % 2], index, start, today)
        added += 1
    db.session.flush()
    return added


def _serve(commissioner, user, auditor, firm_member, index, start, today):
    """A firm's request accepted, a village and a park paired by the bureau, and services
    every few weeks since ``start``: confirmed, but the latest waits and one is disputed."""
    firm_pairing = activity.request_pairing(commissioner, firm_member, "希望在工艺改进方面得到指导")
    activity.answer_pairing(firm_pairing, user, accept=True)
    pairings = [firm_pairing] + [
        activity.pair(commissioner, auditor, kind=kind, place_name=place,
                      district_id=commissioner.district_id) for kind, place in PLACES]
    for pairing in pairings:
        pairing.created_dt = _at(start)
    day, number = start + timedelta(days=7), 0
    # fewer services for the later ones: some commissioners fall behind
    step = 14 + 4 * index
    while day <= today:
        pairing = pairings[number % len(pairings)]
        service = activity.log_service(
            commissioner, user, pairing_id=pairing.id, service_on=day,
            place=pairing.served_name, participants="企业技术负责人及一线技术人员",
            work_done=f"第{number + 1}次现场服务：诊断生产中的技术问题并给出改进方案",
            outcome="形成书面建议，企业已安排试行")
        service.logged_dt = _at(day)
        answerer = firm_member if pairing.firm_id else auditor
        if day + timedelta(days=step) <= today:
            disputed = number == 3 and index == 5
            activity.answer_service(service, answerer, confirm=not disputed,
                                    reason="记录的日期与实际不符" if disputed else None)
        day, number = day + timedelta(days=step), number + 1


def seed_demo_outside_experts():
    """expert1-3 work in Jiangxi; three more from other provinces apply and are admitted.
    Returns how many were added."""
    for email in ("expert1@demo.local", "expert2@demo.local", "expert3@demo.local"):
        user = accounts.find_user_by_email(email)
        profile = db.session.get(ExpertProfile, user.id) if user else None
        if profile is not None and profile.province is None:
            profile.province = "36"
    auditor = accounts.find_user_by_email("auditor@demo.local")
    fields = [c.id for c in active_categories()][:6]
    added = 0
    for email, name, title, organisation, province in OUTSIDE_EXPERTS:
        if accounts.find_user_by_email(email) is not None:
            continue
        application = expert_pool.apply(
            email=email, name=name, title=title, organisation_name=organisation,
            province=province, category_ids=fields, locale="zh",
            declared_conflicts="无")
        profile = expert_pool.admit(application, auditor)
        profile.user.set_password(PASSWORD)
        added += 1
    db.session.flush()
    return added


def seed_demo_rewards(today=None):
    """Last year's contracts (a few, if the registry has none), one of them brokered by the
    demo local agency; the reward list computed, approved and paid. Returns 1 if added."""
    from marketplace.demo.contracts import seed_demo_contracts

    today = today or date.today()
    year = today.year - 1
    if rewards.live_list(year) is not None:
        return 0
    auditor = accounts.find_user_by_email("auditor@demo.local")
    supervisor = accounts.find_user_by_email("supervisor@demo.local")
    has_contracts = db.session.execute(select(ContractRegistration.id).where(
        ContractRegistration.registered_year == year).limit(1)).first()
    if not has_contracts:
        seed_demo_contracts(REWARD_CONTRACTS, year=year, today=date(year, 12, 31))
    broker = accounts.find_user_by_email("agency1@demo.local")
    seller = accounts.find_user_by_email("agency3@demo.local").organisation
    buyer = accounts.find_user_by_email("firm1@demo.local").organisation
    number = f"DEMO{year}B0001"
    if not db.session.execute(select(ContractRegistration.id).where(
            ContractRegistration.contract_number == number)).first():
        registration.register_original(
            contract_number=number, contract_type=ContractType.TRANSFER,
            contract_amount_fen=800_000_00, technical_amount_fen=720_000_00,
            buyer_name=buyer.name, buyer_org_id=buyer.id, buyer_district_id=buyer.district_id,
            seller_name=seller.name, seller_org_id=seller.id,
            seller_district_id=seller.district_id, seller_in_city=True,
            field_code="new_materials", signed_on=date(year, 9, 1),
            registered_on=date(year, 9, 15), source=RegistrationSource.EXCHANGE,
            broker_user_id=broker.id, actor=auditor)
    reward_list = rewards.compute_list(year, auditor, today=today)
    rewards.approve(reward_list, supervisor)
    rewards.record_paid(reward_list, supervisor, f"HC-JL-{year}-001")
    return 1


def seed_demo_plan(today=None):
    added = {"commissioners": seed_demo_commissioners(today),
             "experts": seed_demo_outside_experts(),
             "rewards": seed_demo_rewards(today)}
    db.session.flush()
    return ("demo plan: {commissioners} commissioners, {experts} experts from outside the "
            "province, {rewards} reward list added").format(**added)
