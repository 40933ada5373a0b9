"""Reference data every installation starts with (idempotent; the admin edits it later)."""
from sqlalchemy import select

from marketplace.accounts.models import District
from marketplace.extensions import db

DEFAULT_DISTRICTS = (
    ("donghu", "东湖区", "Donghu District"),
    ("xihu", "西湖区", "Xihu District"),
    ("qingyunpu", "青云谱区", "Qingyunpu District"),
    ("qingshanhu", "青山湖区", "Qingshanhu District"),
    ("xinjian", "新建区", "Xinjian District"),
    ("honggutan", "红谷滩区", "Honggutan District"),
    ("nanchang_county", "南昌县", "Nanchang County"),
    ("anyi", "安义县", "Anyi County"),
    ("jinxian", "进贤县", "Jinxian County"),
    ("wanli", "湾里管理局", "Wanli Administration"),
    ("high_tech_zone", "南昌高新技术产业开发区", "Nanchang High-tech Industrial Development Zone"),
    ("etdz", "南昌经济技术开发区", "Nanchang Economic and Technological Development Zone"),
    ("xiaolan", "小蓝经济技术开发区", "Xiaolan Economic and Technological Development Zone"),
    ("ganjiang", "赣江新区", "Ganjiang New Area"),
)

_SEEDERS = []


def reference_seeder(func):
    """Register a function that inserts missing reference rows (other domains add theirs)."""
    _SEEDERS.append(func)
    return func


def ensure_coded_rows(model, rows):
    """Insert the ``(code, name_zh, name_en)`` rows whose code is missing, in list order."""
    existing = set(db.session.execute(select(model.code)).scalars())
    added = 0
    for order, (code, name_zh, name_en) in enumerate(rows):
        if code not in existing:
            db.session.add(model(code=code, name_zh=name_zh, name_en=name_en,
                                 sort_order=order * 10))
            added += 1
    db.session.flush()
    return added


@reference_seeder
def ensure_districts():
    return ensure_coded_rows(District, DEFAULT_DISTRICTS)


def seed_reference_data():
    """Insert whatever reference rows are missing; returns how many were added."""
    return sum(seeder() or 0 for seeder in _SEEDERS)
