"""A firm's tier comes from the bureau's certification lists (high-tech enterprises, tech
SMEs, benchmark high-tech enterprises) or from a certificate an auditor confirmed for the
firm's tier request: never from the firm's word. The tier at a decision is the highest
tier whose certificate is valid on that day, so an expired certificate lowers it at the
next decision, and the decision cites the certificate it rested on."""
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import FirmTier
from marketplace.core import audit, normalise
from marketplace.extensions import db
from marketplace.integrity.models import CertificationEntry, CertificationSource

LIST_NAMES = {
    "tech_sme": _l("tech SME list (科技型中小企业入库名单)"),
    "high_tech": _l("high-tech enterprise list (高新技术企业名单)"),
    "benchmark_high_tech": _l("benchmark high-tech enterprise list (标杆型高新技术企业名单)"),
}


@dataclass(frozen=True)
class CertifiedTier:
    tier: FirmTier
    entry: CertificationEntry

    def citation(self):
        """What an eligibility result or a contract records of the certificate."""
        return {"tier": self.tier.value, "list": self.tier.value,
                "certificate": self.entry.certificate_number,
                "source": self.entry.source.value,
                "valid_from": self.entry.valid_from.isoformat(),
                "valid_to": self.entry.valid_to.isoformat()}


def certificates_valid_on(uscc, day):
    return db.session.execute(select(CertificationEntry).where(
        CertificationEntry.uscc == uscc, CertificationEntry.valid_to >= day,
        CertificationEntry.valid_from <= day)).scalars().all()


def tier_on(uscc, day=None):
    """The firm's certified tier on ``day`` (today), or None: the highest tier with a
    certificate valid that day, the later-expiring certificate of it when there are two."""
    found = certificates_valid_on(uscc, day or date.today())
    if not found:
        return None
    best = max(found, key=lambda e: (e.tier.rank, e.valid_to, e.id))
    return CertifiedTier(best.tier, best)


def certificates_of(uscc):
    return db.session.execute(select(CertificationEntry).where(
        CertificationEntry.uscc == uscc).order_by(CertificationEntry.valid_to.desc(),
                                                  CertificationEntry.id.desc())).scalars().all()


def certificate_key(number):
    """A certificate number as it compares: NFKC, upper-case, letters and digits only
    (gr 2024-3600-0777 and ＧＲ２０２４３６０００７７７ are GR202436000777)."""
    return re.sub(r"[^0-9A-Z]", "", normalise.nfkc(number).upper())


def _same_number(key):
    """The entries' numbers compared by their key (those on file before numbers were
    stored as keys may hold spaces or dashes)."""
    stored = CertificationEntry.certificate_number
    return func.upper(func.replace(func.replace(stored, " ", ""), "-", "")) == key


def confirm_certificate(*, uscc, organisation_name, tier, certificate_number, valid_from,
                        valid_to, actor, change_request_id):
    """An auditor checked a firm's certificate for its tier request: it counts from now
    as a list entry would (the same certificate already on a list is reused). A number
    on file for another organisation, in any tier and however it is written, is refused:
    one firm's certificate must not give another its tier."""
    tier = FirmTier(tier)
    certificate_number = certificate_key(certificate_number)
    found = db.session.execute(select(CertificationEntry).where(
        _same_number(certificate_number))).scalars().all()
    if any(entry.uscc != uscc for entry in found):
        from marketplace.core.errors import Conflict

        raise Conflict(_l("This certificate number belongs to another organisation on the "
                          "lists."), code="certificate_of_another",
                       details={"field": "certificate_number"})
    existing = next((entry for entry in found if entry.tier == tier), None)
    if existing is not None:
        return existing
    entry = CertificationEntry(tier=tier, uscc=uscc, organisation_name=organisation_name,
                               certificate_number=certificate_number, valid_from=valid_from,
                               valid_to=valid_to, source=CertificationSource.CONFIRMED,
                               created_by_id=actor.id, change_request_id=change_request_id)
    db.session.add(entry)
    db.session.flush()
    audit.record(entry, "confirm", actor=actor, after="confirmed",
                 data={"tier": tier.value, "uscc": uscc, "certificate": certificate_number,
                       "valid_to": valid_to.isoformat()})
    return entry


def list_name(tier):
    value = getattr(tier, "value", tier)
    return str(LIST_NAMES.get(value, value))
