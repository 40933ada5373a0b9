"""The bureau's watch over commissioners: each one's figures for a year against the
year's rules, the nightly reminder to those falling behind, and the yearly assessment
(computed by an auditor, confirmed by a supervisor: renewal or withdrawal).

The figures of a page of commissioners take two grouped queries, whatever the number of
services; the rules themselves are pure functions (commissioners.assessment)."""
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from marketplace.commissioners import assessment, services
from marketplace.commissioners.models import (Commissioner, CommissionerAssessment,
                                              CommissionerRules, CommissionerService,
                                              CommissionerStatus, Pairing, ServiceStatus)
from marketplace.core import audit, outbox, yearly_rules
from marketplace.core.assessments import AssessmentStatus, Grade
from marketplace.core.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.core.rows import hold_key
from marketplace.core.states import transition
from marketplace.core.tasks import nightly_job
from marketplace.core.timeutil import local_date, local_year_start, now_utc
from marketplace.extensions import db


def rules_for(year):
    return yearly_rules.rules_for(CommissionerRules, year)


def set_rules(year, actor, values, note=None):
    """The admin sets the year's minimum and thresholds: a new version of the year's rules."""
    if values["excellent_services"] < values["min_services"]:
        raise ValidationFailed(_l("\"Excellent\" cannot ask for fewer services than the "
                                  "minimum."), details={"field": "excellent_services"})
    if values["excellent_firms"] < values["min_firms"]:
        raise ValidationFailed(_l("\"Excellent\" cannot ask for fewer served than the "
                                  "minimum."), details={"field": "excellent_firms"})
    return yearly_rules.set_rules(CommissionerRules, year, actor, values, note)


def figures_for(commissioner_ids, year):
    """``{commissioner id: Figures}`` of the services given in ``year``; the last service
    is the latest ever (a silence runs across the new year)."""
    ids = set(commissioner_ids)
    if not ids:
        return {}
    in_year = CommissionerService.service_on.between(date(year, 1, 1), date(year, 12, 31))
    counted = {row.commissioner_id: row for row in db.session.execute(
        select(CommissionerService.commissioner_id,
               func.count(CommissionerService.id).label("logged"),
               func.sum(case((CommissionerService.status == ServiceStatus.CONFIRMED, 1),
                             else_=0)).label("confirmed"),
               func.sum(case((CommissionerService.status == ServiceStatus.DISPUTED, 1),
                             else_=0)).label("disputed"))
        .where(CommissionerService.commissioner_id.in_(ids), in_year)
        .group_by(CommissionerService.commissioner_id))}
    served = {}
    for row in db.session.execute(
            select(CommissionerService.commissioner_id, Pairing.firm_id, Pairing.id)
            .join(Pairing, Pairing.id == CommissionerService.pairing_id)
            .where(CommissionerService.commissioner_id.in_(ids), in_year,
                   CommissionerService.status == ServiceStatus.CONFIRMED)
            .group_by(CommissionerService.commissioner_id, Pairing.firm_id, Pairing.id)):
        # a firm served through two pairings (one ended, one new) is one firm served
        served.setdefault(row[0], set()).add(("firm", row[1]) if row[1] else ("place", row[2]))
    last = dict(db.session.execute(
        select(CommissionerService.commissioner_id, func.max(CommissionerService.service_on))
        .where(CommissionerService.commissioner_id.in_(ids))
        .group_by(CommissionerService.commissioner_id)).all())
    found = {}
    for commissioner_id in ids:
        row = counted.get(commissioner_id)
        found[commissioner_id] = assessment.Figures(
            logged=row.logged if row else 0, confirmed=int(row.confirmed or 0) if row else 0,
            disputed=int(row.disputed or 0) if row else 0,
            served=len(served.get(commissioner_id, ())),
            last_service_on=last.get(commissioner_id))
    return found


def recognised_query():
    return (select(Commissioner).where(Commissioner.status == CommissionerStatus.RECOGNISED)
            .order_by(Commissioner.recognised_dt, Commissioner.id))


def monitoring_rows(commissioners, year, today=None):
    """Each commissioner with the year's figures and standing against the minimum."""
    today = today or date.today()
    rules = rules_for(year)
    figures = figures_for([c.id for c in commissioners], year)
    rows = []
    for commissioner in commissioners:
        found = figures[commissioner.id]
        recognised_on = local_date(commissioner.recognised_dt) if commissioner.recognised_dt \
            else None
        since = assessment.silent_since(found, recognised_on)
        rows.append({
            "commissioner": commissioner, "figures": found,
            "required": assessment.required_services(rules, year, recognised_on),
            "required_served": assessment.required_served(rules, year, recognised_on),
            "standing": (assessment.standing(found, rules, today, recognised_on)
                         if year == today.year else None),
            "silent_days": (today - since).days if since else None})
    return rules, rows


# --- reminders ----------------------------------------------------------------------------

@nightly_job
def remind_falling_behind(today=None):
    """Remind each recognised commissioner who is silent or behind the minimum's pace
    (once per silence; at most every COMMISSIONER_REMINDER_DAYS when behind)."""
    today = today or date.today()
    rules = rules_for(today.year)
    interval = current_app.config["COMMISSIONER_REMINDER_DAYS"]
    commissioners = db.session.execute(recognised_query()).scalars().all()
    figures = figures_for([c.id for c in commissioners], today.year)
    reminded = []
    for commissioner in commissioners:
        due = assessment.reminder_due(
            figures[commissioner.id], rules, today, local_date(commissioner.recognised_dt),
            local_date(commissioner.reminded_dt) if commissioner.reminded_dt else None, interval)
        if due is None:
            continue
        commissioner.reminded_dt = now_utc()
        audit.record(commissioner, "remind", data={"reason": due.value,
                                                   "confirmed": figures[commissioner.id]
                                                   .confirmed})
        outbox.emit("commissioners.reminder", commissioner_id=commissioner.id,
                    reason=due.value)
        reminded.append(commissioner.id)
    db.session.flush()
    return reminded


# --- the yearly assessment ----------------------------------------------------------------

class AssessmentTooEarly(Conflict):
    code = "assessment_too_early"
    default_message = _l("A year can be assessed from its last month on.")


# core.rows.hold_key's namespace: one computation of a year's assessments at a time
_COMPUTE_LOCK_NAMESPACE = 7_100_022


def assessments_query(year):
    return (select(CommissionerAssessment).where(CommissionerAssessment.year == year)
            .order_by(CommissionerAssessment.grade, CommissionerAssessment.id))


def compute_assessments(year, actor, today=None):
    """Propose each recognised commissioner's assessment of ``year`` from the platform's
    figures; proposals not yet confirmed are computed again. Returns the assessments."""
    today = today or date.today()
    if (year, 12) > (today.year, today.month):
        raise AssessmentTooEarly(details={"year": year})
    # computed twice at once (a double click, two auditors), both would find no row of a
    # commissioner and the second insert would break its unique key: the second waits
    hold_key(_COMPUTE_LOCK_NAMESPACE, year)
    rules = rules_for(year)
    year_end = local_year_start(year + 1)
    commissioners = db.session.execute(recognised_query().where(
        Commissioner.recognised_dt < year_end)).scalars().all()
    figures = figures_for([c.id for c in commissioners], year)
    existing = {a.commissioner_id: a for a in db.session.execute(
        assessments_query(year)).scalars()}
    done = []
    for commissioner in commissioners:
        found = figures[commissioner.id]
        grade, reasons = assessment.grade(found, rules, year,
                                          local_date(commissioner.recognised_dt))
        row = existing.get(commissioner.id)
        if row is not None and row.status == AssessmentStatus.CONFIRMED:
            continue
        if row is None:
            row = CommissionerAssessment(commissioner_id=commissioner.id, year=year)
            db.session.add(row)
        row.rules_id = rules.id
        row.propose(grade, reasons, actor)
        row.logged, row.confirmed, row.disputed = found.logged, found.confirmed, found.disputed
        row.served, row.confirmed_rate_bp = found.served, found.confirmed_rate_bp
        db.session.flush()
        audit.record(row, "compute", actor=actor, after=row.status,
                     data={"grade": grade.value, "confirmed": found.confirmed,
                           "served": found.served, "rules_version": rules.version})
        done.append(row)
    return done


def confirm_assessment(row, actor, comment=None):
    """The supervisor confirms the assessment: a commissioner not competent is withdrawn
    (with the figures as the reason), the others are renewed for the next year."""
    if row.status != AssessmentStatus.PROPOSED:
        raise InvalidTransition(details={"state": row.status.value, "action": "confirm"})
    commissioner = row.commissioner
    transition(row, "confirm", actor=actor, data={"grade": row.grade.value})
    row.confirmed_by(actor, comment)
    if commissioner.status == CommissionerStatus.RECOGNISED:
        if row.grade == Grade.NOT_COMPETENT:
            services.withdraw(commissioner, actor, str(_l(
                "Not competent in the %(year)s assessment: %(confirmed)s confirmed services "
                "to %(served)s served.", year=row.year, confirmed=row.confirmed,
                served=row.served)))
        else:
            services.renew(commissioner, actor, row.year)
    outbox.emit("commissioners.assessed", assessment_id=row.id)
    db.session.flush()
    return row
