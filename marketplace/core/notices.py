"""Public notices (公示) and the objections filed while they run.

The bureau publishes a decision before it takes effect: an agency's admission to the
registry, a commissioner's recognition. For ``days`` anyone signed in may object; the
notice is concluded once it has run its course with no objection left open, and an
upheld objection ends it in a rejection. The subject keeps ``notice_opened_dt`` and
``notice_ends_dt``; each domain keeps its objections in a table of its own made from
:class:`ObjectionRecord` (the columns, the states and their transition table), and uses
the functions below to open the notice, file and settle an objection. Services flush and
never commit."""
import enum
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Text, func, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from marketplace.core import audit
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.states import TransitionTable, transition
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime, enum_column
from marketplace.extensions import db

MIN_OBJECTION_LENGTH = 10


class NoticeStillRunning(Conflict):
    code = "notice_running"
    default_message = _l("The public notice has not ended yet.")


class OwnObjection(PermissionDenied):
    code = "own_objection"
    default_message = _l("An objection is settled by someone other than the person who "
                         "filed it.")


class ObjectionStatus(str, enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OBJECTION_TRANSITIONS = TransitionTable({
    ObjectionStatus.OPEN: {"uphold": ObjectionStatus.UPHELD,
                           "dismiss": ObjectionStatus.DISMISSED},
})


class ObjectionRecord:
    """The columns of an objection (异议); the table adds the foreign key of its subject."""

    TRANSITIONS = OBJECTION_TRANSITIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[ObjectionStatus] = mapped_column(
        enum_column(ObjectionStatus, name="objection_status"), nullable=False,
        default=ObjectionStatus.OPEN, index=True)
    filed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_dt: Mapped[object | None] = mapped_column(UTCDateTime)

    @declared_attr
    def filed_by(cls):
        return relationship("User", foreign_keys=[cls.filed_by_id], lazy="joined")


def open_notice(subject, days, at=None):
    """Start the subject's notice now (or at ``at``) for ``days`` days."""
    subject.notice_opened_dt = at or now_utc()
    subject.notice_ends_dt = subject.notice_opened_dt + timedelta(days=days)
    return subject.notice_ends_dt


def notice_is_running(subject, on_notice, at=None):
    """``on_notice``: whether the subject's status is its notice state."""
    return (on_notice and subject.notice_ends_dt is not None
            and (at or now_utc()) < subject.notice_ends_dt)


def objection_text(text):
    """The objection's text, stripped, or a form error when it says too little."""
    text = (text or "").strip()
    if len(text) < MIN_OBJECTION_LENGTH:
        raise ValidationFailed(_l("Explain the objection in at least 10 characters."),
                               details={"field": "text"})
    return text


def file_objection(model, actor, text, **subject):
    """A new open objection of ``model`` (the domain's table) against ``subject`` (its
    foreign key, e.g. ``agency_id=3``). The caller has checked the notice runs and the
    actor may object."""
    text = objection_text(text)
    objection = model(filed_by_id=actor.id, text=text, **subject)
    db.session.add(objection)
    db.session.flush()
    audit.record(objection, "file", actor=actor, after=ObjectionStatus.OPEN, data=subject)
    return objection


def settle_objection(objection, actor, decision, resolution):
    """Uphold or dismiss an open objection with its written resolution; returns the
    action taken. The caller holds its subject's lock and acts on an upheld one."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(_l("Please give a reason."), code="reason_required",
                               details={"field": "resolution"})
    action = {"uphold": "uphold", "dismiss": "dismiss"}.get(decision)
    if action is None:
        raise ValidationFailed(details={"field": "decision"})
    if objection.filed_by_id == getattr(actor, "id", None):
        # a reviewer may object like anyone signed in, but does not judge their own
        # objection: upheld, it would reject the application on their word alone
        raise OwnObjection()
    transition(objection, action, actor=actor, data={"resolution": resolution})
    objection.resolution = resolution
    objection.resolved_by_id = actor.id
    objection.resolved_dt = now_utc()
    db.session.flush()
    return action


def open_objections_count(subject_column, subject_id):
    """How many objections of the table of ``subject_column`` are open for the subject."""
    table = subject_column.class_
    return db.session.execute(select(func.count(table.id)).where(
        subject_column == subject_id, table.status == ObjectionStatus.OPEN)).scalar_one()
