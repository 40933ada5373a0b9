"""Technology fields (技术领域) of the national technology-contract registration system: a
table the admin keeps (``TechnologyField``), seeded with the system's eleven fields.

Every registration carries one: a platform contract the field the agency chose at quote
time (suggested by the offering's service category), an off-platform one the field typed,
imported or brokered. ``field_label`` names a code in the current language.
"""
from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.reference import ensure_coded_rows, reference_seeder
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.labels import label
from marketplace.extensions import db
from marketplace.technology_fields.models import TechnologyField

# (code, Chinese name as in the registration system's exports, English name): the seed
TECH_FIELDS = (
    ("electronic_information", "电子信息", "Electronic information"),
    ("advanced_manufacturing", "先进制造", "Advanced manufacturing"),
    ("aerospace", "航空航天", "Aerospace"),
    ("modern_transport", "现代交通", "Modern transport"),
    ("biomedicine", "生物、医药和医疗器械", "Biology, medicine and medical devices"),
    ("new_materials", "新材料及其应用", "New materials and their applications"),
    ("new_energy", "新能源与高效节能", "New energy and energy efficiency"),
    ("environment", "环境保护与资源综合利用", "Environmental protection and resources"),
    ("nuclear", "核应用技术", "Nuclear applications"),
    ("agriculture", "农业", "Agriculture"),
    ("urban_social", "城市建设与社会发展", "Urban construction and social development"),
)
# the field of a contract whose category suggests none (services of society at large)
FALLBACK_FIELD = "urban_social"


_NAMES = "technology_field_names"


class FieldCodeTaken(Conflict):
    code = "technology_field_taken"
    default_message = _l("A technology field with this code or name already exists.")


class UnknownField(ValidationFailed):
    code = "unknown_technology_field"
    default_message = _l("Choose a technology field from the list.")


def all_fields():
    return db.session.execute(select(TechnologyField).order_by(
        TechnologyField.sort_order, TechnologyField.id)).scalars().all()


def _names():
    """``{code: TechnologyField}``, read once per app context and session (a page of the
    registry names twenty rows' fields). Rows of a session since removed are read again:
    they are detached, and one expired by its commit could not be loaded."""
    session = db.session()
    if has_app_context():
        cached = g.get(_NAMES)
        if cached is not None and cached[0] is session:
            return cached[1]
    names = {field.code: field for field in all_fields()}
    if has_app_context():
        setattr(g, _NAMES, (session, names))
    return names


def _forget_names():
    if has_app_context():
        g.pop(_NAMES, None)


def _english():
    locale = get_locale() if has_app_context() else None
    return locale is not None and locale.language == "en"


def field_label(code):
    """The name of a technology field in the current language (a code the table does not
    know is shown through the labels, or as it is)."""
    field = _names().get(code)
    if field is None:
        return label(code)
    return field.name_en if _english() else field.name_zh


def field_codes(active_only=True):
    return tuple(code for code, field in _names().items()
                 if field.is_active or not active_only)


def field_choices():
    english = _english()
    return [(field.code, field.name_en if english else field.name_zh)
            for field in _names().values() if field.is_active]


def resolve_field(text):
    """The code for a code, a Chinese or an English name of a field; None if unknown."""
    value = (text or "").strip()
    lowered = value.lower()
    for field in _names().values():
        if value == field.name_zh or lowered in (field.code, field.name_en.lower()):
            return field.code
    return None


def require_field(code):
    """The code of an active field, or UnknownField."""
    if code not in field_codes():
        raise UnknownField(details={"field": "field_code"})
    return code


def suggested_field(category):
    """The field a service category suggests (its own, else its parent's), else the
    fallback."""
    while category is not None:
        if category.technology_field_code in field_codes():
            return category.technology_field_code
        category = category.parent
    return FALLBACK_FIELD


def save_field(actor, *, field=None, code=None, name_zh, name_en, is_active, sort_order):
    """Create a field (``code`` needed) or change one (its code stays)."""
    creating = field is None
    clash = db.session.execute(select(TechnologyField.id).where(
        (TechnologyField.code == (code if creating else field.code))
        | (TechnologyField.name_zh == name_zh))).scalars().all()
    if any(creating or found != field.id for found in clash):
        raise FieldCodeTaken(details={"field": "code" if creating else "name_zh"})
    if creating:
        field = TechnologyField(code=code)
        db.session.add(field)
    field.name_zh, field.name_en = name_zh, name_en
    field.is_active, field.sort_order = is_active, sort_order
    db.session.flush()
    _forget_names()
    audit.record(field, "create" if creating else "update", actor=actor,
                 data={"code": field.code, "name_zh": name_zh, "name_en": name_en,
                       "is_active": is_active})
    return field


@reference_seeder
def ensure_technology_fields():
    added = ensure_coded_rows(TechnologyField, TECH_FIELDS)
    if added:
        _forget_names()
    return added
