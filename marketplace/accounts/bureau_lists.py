"""What accounts asks of the bureau's lists: is a party on the integrity list (失信名单),
which tier do the certification lists give a firm, and the confirmation of a certificate
an auditor checked for a firm's tier request.

The lists are the integrity domain's, which sits above accounts: it gives the answers by
calling :func:`provide` from its ``init_app`` (marketplace/integrity/__init__.py), so
accounts imports none of it. An answer runs in the asker's transaction: a barred party's
registration is refused with the step, a confirmed certificate is written with the version
that rests on it. Unanswered, a question is an error rather than a silent "not listed":
no registration may pass the integrity list because the list was never wired."""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class BureauLists:
    """The integrity domain's functions that answer accounts' questions."""
    refuse_if_listed: Callable      # (*, uscc, id_hashes, field) raises, entries as evidence
    hits: Callable                  # (usccs, hashes) -> the entries in force naming them
    tier_on: Callable               # (uscc) -> the certified tier (.tier, .entry) or None
    confirm_certificate: Callable   # (*, uscc, organisation_name, tier, ...) -> the entry


_answers = None


def provide(answers):
    """The integrity domain's ``init_app`` gives its :class:`BureauLists` here."""
    global _answers
    _answers = answers


def _lists():
    if _answers is None:
        raise RuntimeError("Nobody answers for the bureau's lists: the integrity domain's "
                           "init_app provides them (marketplace/domains.py).")
    return _answers


def refuse_if_listed(*, uscc, id_hashes, field):
    """Refuse a registration (a DomainError naming ``field``, the entries as evidence)
    when the organisation ``uscc`` or a person of ``id_hashes`` is on the integrity list."""
    _lists().refuse_if_listed(uscc=uscc, id_hashes=id_hashes, field=field)


def hits(usccs, hashes):
    """The integrity-list entries in force today naming one of ``usccs`` or a person whose
    identity hash is one of ``hashes`` (for the auditor's review page)."""
    return _lists().hits(usccs, hashes)


def tier_on(uscc):
    """The tier the certification lists give the firm ``uscc`` today (``.tier``, and the
    certificate it rests on as ``.entry``), or None."""
    return _lists().tier_on(uscc)


def confirm_certificate(*, uscc, organisation_name, tier, certificate_number, valid_from,
                        valid_to, actor, change_request_id):
    """The certificate an auditor checked for a firm's tier request counts from now, as a
    list entry would: the entry, which the new version cites."""
    return _lists().confirm_certificate(
        uscc=uscc, organisation_name=organisation_name, tier=tier,
        certificate_number=certificate_number, valid_from=valid_from, valid_to=valid_to,
        actor=actor, change_request_id=change_request_id)
