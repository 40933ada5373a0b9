"""Demo technology exchange: results of the demo university and institute, a broker at
agency1, demands of the demo firms. Idempotent: a second run adds nothing."""
from sqlalchemy import func, select

from marketplace.accounts import services as accounts
from marketplace.agencies.models import AgencyProfile
from marketplace.core.money import yuan_to_fen
from marketplace.exchange import brokerage, services
from marketplace.exchange.models import BrokerProfile, TechDemand, TechResult
from marketplace.extensions import db

# email -> [(title, field, summary, ip type, ip numbers, TRL, modes, asking price in yuan)]
RESULTS = {
    "agency2@demo.local": [
        ("碳纤维增强复合材料快速模压成型技术", "new_materials",
         "采用自主研发的快速固化环氧树脂体系与高压模压成型工艺，碳纤维复合材料构件成型周期缩短至"
         "十分钟以内，力学性能达到航空级标准的九成，成本较热压罐工艺降低百分之四十。适用于新能源"
         "汽车电池包壳体、车身结构件等轻量化部件，已完成中试验证。",
         "invention_patent", "ZL202110234567.8；ZL202210876543.2", 6,
         ["mode_transfer", "mode_licence", "mode_joint_development"], None),
        ("复合材料构件超声相控阵无损检测方法", "new_materials",
         "基于超声相控阵的复合材料分层、孔隙、夹杂缺陷检测与三维成像方法，配套缺陷自动识别软件，"
         "检测效率较常规超声提高五倍。",
         "invention_patent", "ZL202010998877.1", 7, ["mode_licence"], 300_000),
        ("注塑工艺参数智能优化系统", "advanced_manufacturing",
         "融合模流分析与机器学习的注塑工艺参数优化软件，自动推荐保压、冷却参数，减少翘曲与缩痕，"
         "试模次数减少一半。",
         "software_copyright", "2023SR0456789", 8, ["mode_licence"], 180_000),
        ("聚乳酸增韧改性与吹膜技术", "new_materials",
         "通过反应性增韧改性提升聚乳酸薄膜韧性与加工稳定性，可在普通吹膜机上生产全生物降解"
         "购物袋和地膜。",
         "invention_patent", "ZL202111223344.5", 5, ["mode_transfer", "mode_licence"], 800_000),
    ],
    "agency3@demo.local": [
        ("金属构件腐蚀失效分析与寿命评估方法", "new_materials",
         "针对化工、电力设备金属构件的腐蚀失效分析流程与剩余寿命评估模型，含典型失效案例库。",
         "know_how", "", 7, ["mode_licence", "mode_joint_development"], None),
        ("稀土永磁材料晶界扩散工艺", "new_materials",
         "重稀土镝铽晶界扩散工艺，钕铁硼永磁体矫顽力显著提升，重稀土用量减少约百分之四十。",
         "invention_patent", "ZL201910556677.3", 6, ["mode_transfer", "mode_equity"],
         1_500_000),
    ],
}

# email -> [(title, field, description, budget range in yuan, intends voucher)]
DEMANDS = {
    "firm1@demo.local": [
        ("电池包壳体轻量化：碳纤维复合材料快速成型", "new_materials",
         "我公司为新能源汽车企业配套电池包壳体，计划用碳纤维复合材料替代钢板减重，要求模压成型"
         "周期短、成本可控，寻求成熟工艺的转让或联合开发。",
         (300_000, 800_000), True),
    ],
    "firm2@demo.local": [
        ("减速器摆线轮磨削精度提升", "advanced_manufacturing",
         "公司研制机器人关节RV减速器，摆线轮磨削精度不够导致回差偏大，寻求修形设计与磨削工艺。",
         (200_000, 500_000), False),
    ],
}

BROKER_EMAIL = "agency1@demo.local"


def seed_demo_exchange():
    """Returns (results, demands, brokers) added."""
    added = [0, 0, 0]
    for email, rows in RESULTS.items():
        member = accounts.find_user_by_email(email)
        profile = db.session.get(AgencyProfile, member.organisation_id)
        if _count(TechResult, TechResult.agency_id == member.organisation_id):
            continue
        for title, field, summary, ip_type, numbers, trl, modes, price in rows:
            services.create_result(profile, member, title=title, field_code=field,
                                   summary=summary, ip_type=ip_type, ip_numbers=numbers,
                                   trl=trl, transfer_modes=modes,
                                   asking_price_fen=yuan_to_fen(price) if price else None)
            added[0] += 1
    for email, rows in DEMANDS.items():
        member = accounts.find_user_by_email(email)
        if _count(TechDemand, TechDemand.firm_id == member.organisation_id):
            continue
        for title, field, description, (low, high), voucher in rows:
            services.create_demand(member, title=title, field_code=field,
                                   description=description, budget_min_fen=yuan_to_fen(low),
                                   budget_max_fen=yuan_to_fen(high), intends_voucher=voucher)
            added[1] += 1
    broker = accounts.find_user_by_email(BROKER_EMAIL)
    if db.session.get(BrokerProfile, broker.id) is None:
        brokerage.set_broker(accounts.find_user_by_email("auditor@demo.local"), broker, True)
        added[2] += 1
    return tuple(added)


def _count(model, condition):
    return db.session.execute(select(func.count()).select_from(model).where(condition)) \
        .scalar_one()
