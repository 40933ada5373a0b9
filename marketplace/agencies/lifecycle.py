"""The registry's nightly housekeeping: admissions whose public notice ran out without
objection, and qualification documents about to expire or expired."""
import logging
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.agencies import services
from marketplace.agencies.models import (AgencyProfile, AgencyStatus, Objection,
                                         ObjectionStatus, QualificationDocument)
from marketplace.core import outbox
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db

log = logging.getLogger(__name__)


@nightly_job
def conclude_due_notices(at=None):
    """Admit each agency whose notice has ended with no objection ever left open; one with
    an open objection waits for the auditor."""
    at = at or now_utc()
    open_objection = (select(Objection.id).where(
        Objection.agency_id == AgencyProfile.organisation_id,
        Objection.status == ObjectionStatus.OPEN).exists())
    due = db.session.execute(select(AgencyProfile).where(
        AgencyProfile.status == AgencyStatus.PUBLIC_NOTICE,
        AgencyProfile.notice_ends_dt <= at, ~open_objection)).scalars().all()
    from marketplace.integrity.barred import IntegrityListHit

    admitted = []
    for profile in due:
        try:
            services.conclude_notice(profile, actor=None, at=at)
        except IntegrityListHit:     # nothing changed: it waits for the auditor
            log.warning("agency %s is on the integrity list: not admitted",
                        profile.organisation_id)
            continue
        except services.DocumentsExpired:    # the agency uploads a current one first
            log.warning("agency %s has an expired qualification document: not admitted",
                        profile.organisation_id)
            continue
        admitted.append(profile.organisation_id)
    return admitted


@nightly_job
def watch_document_expiry(today=None):
    """Warn once, ``DOCUMENT_WARNING_DAYS`` ahead, of each current document that will
    expire; suspend an admitted agency whose document has expired (if so configured)."""
    today = today or date.today()
    horizon = today + timedelta(days=current_app.config["DOCUMENT_WARNING_DAYS"])
    active = (AgencyStatus.SUBMITTED, AgencyStatus.PUBLIC_NOTICE, AgencyStatus.ADMITTED,
              AgencyStatus.SUSPENDED)
    warned = []
    expiring = db.session.execute(
        select(QualificationDocument).join(AgencyProfile).where(
            QualificationDocument.is_withdrawn.is_(False),
            QualificationDocument.expiry_warned_dt.is_(None),
            QualificationDocument.expires_on > today,
            QualificationDocument.expires_on <= horizon,
            AgencyProfile.status.in_(active))).scalars().all()
    for document in expiring:
        document.expiry_warned_dt = now_utc()
        outbox.emit("agencies.document_expiring", document_id=document.id)
        warned.append(document.id)
    suspended = []
    if current_app.config["SUSPEND_ON_EXPIRED_DOCUMENT"]:
        lapsed = db.session.execute(
            select(AgencyProfile).where(
                AgencyProfile.status == AgencyStatus.ADMITTED,
                select(QualificationDocument.id).where(
                    QualificationDocument.agency_id == AgencyProfile.organisation_id,
                    QualificationDocument.is_withdrawn.is_(False),
                    QualificationDocument.expires_on <= today).exists())
        ).scalars().all()
        for profile in lapsed:
            titles = ", ".join(d.title for d in services.expired_documents(profile, today))
            services.suspend(profile, None, str(_l(
                "Suspended automatically: a qualification document has expired (%(titles)s).",
                titles=titles)))
            suspended.append(profile.organisation_id)
    db.session.flush()
    if warned or suspended:
        log.info("document expiry: %d warned, %d agencies suspended", len(warned),
                 len(suspended))
    return {"warned": warned, "suspended": suspended}
