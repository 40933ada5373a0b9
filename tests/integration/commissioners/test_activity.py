"""Pairings and services: a firm asks and the commissioner accepts, the bureau pairs with a
village or park; services are logged and the served party (the firm's members, the bureau
for a village or park) confirms or disputes them."""
from datetime import date, timedelta

import pytest

from marketplace.commissioners import activity
from marketplace.commissioners import permissions as perms
from marketplace.commissioners.models import PairingKind, PairingStatus, ServiceStatus
from marketplace.core.errors import InvalidTransition, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import FirmMemberFactory
from tests.integration.claims.test_claim_workflow import settle
from tests.integration.commissioners.builders import applied, log, paired, recognised


def test_a_firm_asks_the_commissioner_accepts_and_confirms_a_logged_service(auditor):
    commissioner = recognised(auditor=auditor)
    member = FirmMemberFactory()
    pairing = activity.request_pairing(commissioner, member, "需要材料检测方面的帮助")
    assert pairing.status == PairingStatus.REQUESTED
    with pytest.raises(activity.AlreadyPaired):
        activity.request_pairing(commissioner, member, "再问一次")
    activity.answer_pairing(pairing, commissioner.user, accept=True)
    service = log(commissioner, pairing, date.today())
    assert perms.can_answer_service(member, service)
    assert not perms.can_answer_service(FirmMemberFactory(), service)
    assert not perms.can_answer_service(auditor, service)     # a firm answers for itself
    activity.answer_service(service, member, confirm=True)
    assert service.status == ServiceStatus.CONFIRMED
    with pytest.raises(InvalidTransition):
        activity.answer_service(service, member, confirm=False, reason="改主意")
    settle(service)
    kinds = sorted(n.kind for n in db.session.query(Notification))
    assert kinds.count("commissioner_service_logged") == 1
    assert "commissioner_pairing_requested" in kinds
    assert "commissioner_service_answered" in kinds


def test_a_dispute_needs_a_reason(auditor):
    commissioner = recognised(auditor=auditor)
    member = FirmMemberFactory()
    service = log(commissioner, paired(commissioner, member), date.today())
    with pytest.raises(ValidationFailed):
        activity.answer_service(service, member, confirm=False, reason=" ")
    activity.answer_service(service, member, confirm=False, reason="当天无人到场")
    assert (service.status, service.dispute_reason) == (ServiceStatus.DISPUTED,
                                                        "当天无人到场")


def test_the_bureau_pairs_with_a_village_and_answers_its_services(auditor):
    commissioner = recognised(auditor=auditor)
    pairing = activity.pair(commissioner, auditor, kind="village", place_name="光明村",
                            district_id=commissioner.district_id)
    assert (pairing.kind, pairing.status) == (PairingKind.VILLAGE, PairingStatus.ACTIVE)
    service = log(commissioner, pairing, date.today())
    assert perms.can_answer_service(auditor, service)
    assert not perms.can_answer_service(FirmMemberFactory(), service)
    activity.answer_service(service, auditor, confirm=True)
    assert service.status == ServiceStatus.CONFIRMED


def test_the_bureau_pairs_a_firm_by_its_credit_code(auditor):
    commissioner = recognised(auditor=auditor)
    firm = FirmMemberFactory().organisation
    pairing = activity.pair(commissioner, auditor, kind="firm", firm_code=firm.uscc.lower())
    assert pairing.firm_id == firm.id
    with pytest.raises(ValidationFailed) as refused:
        activity.pair(commissioner, auditor, kind="firm", firm_code="91360000000000000X")
    assert refused.value.details["field"] == "firm_code"


def test_services_are_logged_only_for_an_active_pairing_of_ones_own_and_not_ahead(auditor):
    commissioner = recognised(auditor=auditor)
    member = FirmMemberFactory()
    asked = activity.request_pairing(commissioner, member, "请指导")
    with pytest.raises(ValidationFailed):
        log(commissioner, asked, date.today())                 # not accepted yet
    activity.answer_pairing(asked, commissioner.user, accept=True)
    with pytest.raises(ValidationFailed):
        log(commissioner, asked, date.today() + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        log(commissioner, asked, date.today() - timedelta(days=3))   # before the pairing
    other = recognised(auditor=auditor)
    with pytest.raises(ValidationFailed):
        log(other, asked, date.today())


def test_only_a_recognised_commissioner_is_asked_or_logs(auditor):
    commissioner = applied()
    with pytest.raises(activity.NotRecognised):
        activity.request_pairing(commissioner, FirmMemberFactory(), "请指导")
    assert not perms.can_log_service(commissioner.user, commissioner)


def test_a_logged_service_keeps_its_attachments(app, auditor):
    import io

    commissioner = recognised(auditor=auditor)
    pairing = paired(commissioner, FirmMemberFactory())
    service = log(commissioner, pairing, date.today(),
                  files=[(io.BytesIO(b"%PDF-1.4 minutes"), "纪要.pdf")])
    [attachment] = service.attachments
    assert (attachment.original_name, attachment.content_type) == ("纪要.pdf",
                                                                   "application/pdf")
    with pytest.raises(ValidationFailed):
        log(commissioner, pairing, date.today(),
            files=[(io.BytesIO(b"not a document"), "x.txt")])


def test_the_bureau_pairs_a_firm_by_its_code_typed_in_full_width(auditor):
    from marketplace.commissioners import activity as pairing_steps
    from tests.factories import FirmFactory
    from tests.integration.commissioners.builders import recognised as recognised_now

    firm = FirmFactory()
    typed = "".join(chr(ord(ch) + 0xFEE0) for ch in firm.uscc.lower())
    pairing = pairing_steps.pair(recognised_now(auditor=auditor), auditor, kind="firm",
                                 firm_code=f" {typed} ")
    assert pairing.firm_id == firm.id
