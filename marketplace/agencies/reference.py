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

# the technology field (technology_fields) each default category suggests at quote time
DEFAULT_FIELD_SUGGESTIONS = {
    "testing": "advanced_manufacturing",
    "rnd_design": "advanced_manufacturing",
    "consulting": "urban_social",
    "transfer": "advanced_manufacturing",
    "ip": "urban_social",
    "finance": "urban_social",
    "incubation": "urban_social",
    "standards": "advanced_manufacturing",
    "data_software": "electronic_information",
}


@reference_seeder
def ensure_categories():
    added = ensure_coded_rows(ServiceCategory, DEFAULT_CATEGORIES)
    if added:   # the new rows (an admin's later choice of suggestion stays)
        for category in db.session.execute(select(ServiceCategory).where(
                ServiceCategory.code.in_(DEFAULT_FIELD_SUGGESTIONS),
                ServiceCategory.technology_field_code.is_(None))).scalars():
            category.technology_field_code = DEFAULT_FIELD_SUGGESTIONS[category.code]
        db.session.flush()
    return added


def active_categories():
    return db.session.execute(
        select(ServiceCategory).where(ServiceCategory.is_active.is_(True))
        .order_by(ServiceCategory.sort_order, ServiceCategory.id)).scalars().all()
