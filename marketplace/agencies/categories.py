"""The service-category tree (服务类别), kept by the admin.

A category has an optional parent; the tree may never loop, so a category cannot be
moved below itself or below one of its own descendants. Codes are fixed at creation:
programmes' eligible categories, saved searches and the API refer to them.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.agencies import signals
from marketplace.agencies.models import ServiceCategory
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db


class CategoryCodeTaken(Conflict):
    code = "category_code_taken"
    default_message = _l("A category with this code already exists.")


class CategoryCycle(ValidationFailed):
    code = "category_cycle"
    default_message = _l("A category cannot be placed below itself or below one of its "
                         "own sub-categories.")


def all_categories():
    return db.session.execute(select(ServiceCategory).order_by(
        ServiceCategory.sort_order, ServiceCategory.id)).scalars().all()


def category_tree(active_only=False):
    """``[(category, depth)]`` in tree order: each category followed by its children
    (by sort order). A category whose parent is missing is shown at the top level."""
    categories = [c for c in all_categories() if c.is_active or not active_only]
    ids = {c.id for c in categories}
    children = {}
    for category in categories:
        parent = category.parent_id if category.parent_id in ids else None
        children.setdefault(parent, []).append(category)
    ordered, seen = [], set()

    def walk(parent_id, depth):
        for category in children.get(parent_id, ()):
            if category.id in seen:     # a loop made outside this module: show it once
                continue
            seen.add(category.id)
            ordered.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    ordered += [(c, 0) for c in categories if c.id not in seen]
    return ordered


def descendant_ids(category_id):
    """The ids of every category below ``category_id`` (not itself)."""
    rows = db.session.execute(select(ServiceCategory.id, ServiceCategory.parent_id)).all()
    found, frontier = set(), {category_id}
    while frontier:
        frontier = {row.id for row in rows if row.parent_id in frontier} - found
        found |= frontier
    found.discard(category_id)
    return found


def save_category(actor, *, category=None, code=None, name_zh, name_en, parent_id,
                  is_active, sort_order, technology_field_code=None):
    """Create a category (``code`` needed) or change an existing one (its code stays).
    ``technology_field_code``: the technology field suggested for its contracts."""
    from marketplace.technology_fields.services import require_field

    creating = category is None
    if technology_field_code is not None:
        require_field(technology_field_code)
    if creating:
        clash = db.session.execute(select(ServiceCategory.id).where(
            ServiceCategory.code == code)).first()
        if clash:
            raise CategoryCodeTaken(details={"field": "code"})
    if parent_id is not None:
        parent = db.session.get(ServiceCategory, parent_id)
        if parent is None:
            raise ValidationFailed(_l("Choose a category from the list."),
                                   details={"field": "parent_id"})
        if not creating and (parent_id == category.id
                             or parent_id in descendant_ids(category.id)):
            raise CategoryCycle(details={"field": "parent_id"})
    renamed = not creating and (category.name_zh, category.name_en) != (name_zh, name_en)
    if creating:
        category = ServiceCategory(code=code)
        db.session.add(category)
    category.name_zh, category.name_en = name_zh, name_en
    category.parent_id, category.is_active, category.sort_order = (parent_id, is_active,
                                                                   sort_order)
    category.technology_field_code = technology_field_code
    db.session.flush()
    audit.record(category, "create" if creating else "update", actor=actor,
                 data={"code": category.code, "name_zh": name_zh, "name_en": name_en,
                       "parent_id": parent_id, "is_active": is_active,
                       "technology_field_code": technology_field_code})
    if renamed:     # the catalogue's search indexes category names
        signals.category_renamed.send(category)
    return category
