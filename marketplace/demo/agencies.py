"""Demo registry: the three demo agencies admitted, with offerings across categories."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.accounts import services as accounts
from marketplace.agencies import services as registry
from marketplace.agencies.models import AgencyStatus, AgencyType, DocumentKind, ServiceCategory
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.models import Offering
from marketplace.core.money import yuan_to_fen
from marketplace.extensions import db

DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

# email -> (type, in city, home city, categories, introduction, staff, qualified, years, fees)
PROFILES = {
    "agency1@demo.local": (
        AgencyType.LOCAL_INTERMEDIARY, True, None,
        ("transfer", "consulting", "ip", "finance"),
        "立足南昌的综合性技术转移服务机构，提供技术评估、成果转化、知识产权与科技金融对接服务。",
        36, 14, 9, "技术咨询每人日¥3,000；成果评估按项目报价；知识产权代理按官费+服务费。"),
    "agency2@demo.local": (
        AgencyType.UNIVERSITY, False, "上海",
        ("rnd_design", "transfer", "data_software", "standards"),
        "高校技术转移中心在南昌设立的工作站，依托学校实验室开展联合研发、工业软件与标准研制。",
        58, 40, 12, "联合研发按课题报价；软件开发按人月¥25,000；标准研制按项目。"),
    "agency3@demo.local": (
        AgencyType.INSTITUTE, True, None,
        ("testing", "standards", "incubation"),
        "省属材料科学研究所，具备CMA/CNAS资质的材料检测实验室与中试孵化平台。",
        120, 65, 30, "常规检测每项¥800起；失效分析按样品报价；中试平台按天计费。"),
}

# email -> [(title, category, fixed price in yuan or None, guide range, days, vouchers,
#            description, deliverables)]
OFFERINGS = {
    "agency1@demo.local": [
        ("技术成果价值评估", "consulting", 30_000, None, 20, True,
         "对专利、技术秘密等科技成果进行市场与技术价值评估，出具评估报告。", "评估报告"),
        ("科技成果转移转化全程服务", "transfer", None, (50_000, 200_000), 90, True,
         "从成果筛选、对接洽谈到合同登记的全流程技术转移服务。", "对接记录、技术合同、登记证明"),
        ("知识产权代理", "ip", 8_000, None, 30, True,
         "发明专利、实用新型与商标的申请代理，含检索与答复审查意见。", "受理通知书、申请文件"),
        ("专利导航与布局分析", "ip", 45_000, None, 30, True,
         "围绕企业核心产品开展专利导航，提出专利布局与风险规避建议。", "专利导航报告"),
        ("科技型企业融资对接", "finance", None, (10_000, 50_000), 60, False,
         "对接银行科技贷款、知识产权质押融资与创投机构。", "融资方案、对接记录"),
    ],
    "agency2@demo.local": [
        ("新材料联合研发", "rnd_design", None, (200_000, 1_000_000), 180, True,
         "依托高校重点实验室，与企业联合开展新材料配方与工艺研发。", "研发报告、样品、知识产权归属协议"),
        ("工业设计与结构仿真", "rnd_design", 60_000, None, 45, True,
         "产品工业设计、有限元结构仿真与优化。", "设计图纸、仿真报告"),
        ("工业软件定制开发", "data_software", None, (100_000, 500_000), 120, True,
         "面向制造企业的MES、质量追溯等工业软件定制开发。", "软件及源代码、使用手册"),
        ("团体标准研制", "standards", 80_000, None, 120, True,
         "协助企业牵头或参与团体标准的立项、起草与发布。", "标准文本、编制说明"),
    ],
    "agency3@demo.local": [
        ("材料检测服务", "testing", 8_000, None, 10, True,
         "金属、高分子与复合材料的成分与力学性能检测，出具CMA检测报告。", "检测报告（CMA）"),
        ("失效分析", "testing", None, (20_000, 80_000), 20, True,
         "零部件断裂、腐蚀等失效原因分析与改进建议。", "失效分析报告"),
        ("产品认证咨询", "standards", 25_000, None, 60, True,
         "CCC、CE等产品认证的咨询与检测准备。", "认证方案、检测安排"),
        ("中试孵化平台服务", "incubation", None, (30_000, 150_000), 90, False,
         "为初创团队提供中试生产线、工程化验证与孵化辅导。", "中试报告、孵化服务记录"),
    ],
}


def seed_demo_agencies():
    """Admit the demo agencies and publish their offerings; returns (admitted, offerings)."""
    auditor = accounts.find_user_by_email("auditor@demo.local")
    categories = {c.code: c.id for c in db.session.execute(select(ServiceCategory)).scalars()}
    admitted = published = 0
    for email, (agency_type, in_city, home_city, codes, intro, staff, qualified, years,
                fees) in PROFILES.items():
        member = accounts.find_user_by_email(email)
        profile = registry.profile_of(member.organisation)
        if profile.status == AgencyStatus.DRAFT:
            registry.update_profile(
                profile, member, category_ids=[categories[c] for c in codes],
                agency_type=agency_type, in_city=in_city, home_city=home_city,
                introduction=intro, staff_count=staff, qualified_staff_count=qualified,
                staff_qualifications="高级职称%d人，技术经纪人%d人" % (qualified // 2, 3),
                years_in_operation=years, fee_schedule=fees)
            registry.add_document(profile, member, kind=DocumentKind.BUSINESS_LICENCE,
                                  title="营业执照 / 事业单位法人证书",
                                  expires_on=date.today() + timedelta(days=3 * 365),
                                  stream=io.BytesIO(DEMO_PDF), original_name="licence.pdf")
            registry.submit(profile, member)
            registry.decide(profile, auditor, "approve", "材料齐全，予以公示")
        if profile.status == AgencyStatus.PUBLIC_NOTICE:
            registry.conclude_notice(profile, auditor, at=profile.notice_ends_dt)
            admitted += 1
        has_offerings = db.session.execute(select(func.count(Offering.id)).where(
            Offering.agency_id == profile.organisation_id)).scalar_one()
        if has_offerings:
            continue
        for (title, code, price, guide, days, vouchers, description,
             deliverables) in OFFERINGS[email]:
            offering = catalogue.create_offering(
                profile, member, title=title, category_id=categories[code],
                description=description, deliverables=deliverables,
                price_model="fixed" if price else "quotation",
                price_fen=yuan_to_fen(price) if price else None,
                guide_min_fen=yuan_to_fen(guide[0]) if guide else None,
                guide_max_fen=yuan_to_fen(guide[1]) if guide else None,
                typical_duration_days=days, accepts_vouchers=vouchers)
            catalogue.mark_checked(offering, auditor)
            published += 1
    return admitted, published
