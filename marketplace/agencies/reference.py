from sqlalchemy import select

from marketplace.accounts.reference import ensure_coded_rows, reference_seeder
from marketplace.agencies.models import ServiceCategory
from marketplace.extensions import db

DEFAULT_CATEGORIES = (
    ("testing", "检验检测", "Inspection and testing"),
    ("rnd_design", "研发设计", "R&D and design"),
    ("consulting", "技术咨询与评估", "Technical consulting and assessment"),
    ("transfer", "技术转移与成果转化", "Technology transfer and commercialisation"),
    ("ip", "知识产权服务", "Intellectual property services"),
    ("finance", "科技金融服务", "Science and technology finance"),
    ("incubation", "创业孵化服务", "Start-up incubation"),
    ("standards", "标准与认证", "Standards and certification"),
    ("data_software", "数据与软件服务", "Data and software services"),
)


@reference_seeder
def ensure_categories():
    return ensure_coded_rows(ServiceCategory, DEFAULT_CATEGORIES)


def active_categories():
    return db.session.execute(
        select(ServiceCategory).where(ServiceCategory.is_active.is_(True))
        .order_by(ServiceCategory.sort_order, ServiceCategory.id)).scalars().all()
