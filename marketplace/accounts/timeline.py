"""A page's timeline read from the audit log: what was done to one object, when and by
whom, each step titled and described by the domain that owns the object (orders, claims).
The actors are named here, once: the person and their organisation, or their role."""
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core.audit import AuditRecord
from marketplace.core.labels import label
from marketplace.extensions import db


@dataclass(frozen=True)
class Step:
    when: object
    action: str
    title: str
    actor: str | None
    detail: str | None


def users_by_id(ids):
    """``{id: User}`` for the ids given (None and 0 ignored), in one statement."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids)))
            .scalars()}


def actor_name(user):
    if user is None:
        return None
    if user.organisation is not None:
        return f"{user.name} ({user.organisation.name})"
    return f"{user.name} ({label(user.role.value)})"


def timeline(object_type, object_id, titles, detail, named_in_data=lambda data: ()):
    """The steps of the object, oldest first. ``titles`` maps an audit action to its
    title; ``detail(action, data, users)`` says what the step's data mean (or None);
    ``named_in_data(data)`` gives the ids of further users the details name (the
    auditor a claim was assigned to), loaded with the actors."""
    records = db.session.execute(select(AuditRecord).where(
        AuditRecord.object_type == object_type, AuditRecord.object_id == str(object_id))
        .order_by(AuditRecord.id)).scalars().all()
    datas = [r.data_dict for r in records]
    users = users_by_id({r.actor_id for r in records}
                        | {i for data in datas for i in named_in_data(data)})
    return [Step(when=r.created_dt, action=r.action, title=str(titles.get(r.action, r.action)),
                 actor=actor_name(users.get(r.actor_id)), detail=detail(r.action, data, users))
            for r, data in zip(records, datas)]
