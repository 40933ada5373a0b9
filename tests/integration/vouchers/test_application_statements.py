"""Issue 23: a voucher application through the API (the opening rush's request) issues a
pinned number of SQL statements, none of them compiled again per request. Counted with
SQLAlchemy's ``before_cursor_execute`` over the request, after a first application has
warmed the caches; the outbox's consumers, which a worker runs in production, left out.
It was 9 (10 with the audit chain's lock and head) before issue 23's round; a regression
shows here.

The statements of an application with a token the process has not seen (the rush: every
firm applies once):
 1 the API token with its user, organisation and district, its use recorded in the same
   statement (a data-modifying CTE)
 2 the programme with its current rules, and rule 3.1's look-up (a live application or
   a voucher of the firm in the programme) as a column of the same row
 3 the firm's certificates valid today (rule 2.3: its tier, and so its cap)
 4 INSERT the application            5 INSERT the outbox message
 6 INSERT the audit record with the writer's xid
 7 INSERT the outbox message asking for a seal (the tests ask after every commit;
   production at most every AUDIT_SEAL_ASK_SECONDS per process)          -- COMMIT
With a token the process remembers (token_cache), statement 1 is not sent. Naming planned
categories adds one read of the category set (the rush names none)."""
import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.vouchers.models import ApplicationStatus, VoucherApplication
from tests.factories import FirmMemberFactory, make_programme
from tests.integration.test_api_base import PREFIX
from tests.support.api import token_for
from tests.support.statements import statements_sent

MAX_STATEMENTS_NEW_TOKEN = 7
MAX_STATEMENTS_KNOWN_TOKEN = 6


def _apply(client, headers, programme):
    programme_id = programme.id     # read here: the test's own read is not the request's
    with statements_sent() as (statements, compiled):
        response = client.post(f"{PREFIX}/voucher-applications", headers=headers, json={
            "programme_id": programme_id, "requested_fen": 100_000_00,
            "purpose": "Materials testing for the new coating line",
            "planned_categories": []})
    assert response.status_code == 201, response.get_json()
    return statements, compiled


@pytest.fixture
def programmes():
    found = [make_programme(name="Open call"), make_programme(name="Second call")]
    db.session.commit()
    return found


@pytest.fixture(autouse=True)
def _no_consumers(monkeypatch):
    from marketplace.core.tasks import process_outbox_message
    # The tests run the outbox's consumers in-process after the commit; in production a
    # worker does, so they are not the request's statements.
    monkeypatch.setattr(process_outbox_message, "delay", lambda *args, **kwargs: None)


def test_an_application_with_a_new_token_issues_a_pinned_number_of_statements(
        client, programmes):
    warm, counted = FirmMemberFactory(), FirmMemberFactory()
    db.session.commit()
    _apply(client, token_for(warm), programmes[0])
    statements, compiled = _apply(client, token_for(counted), programmes[0])
    assert len(statements) <= MAX_STATEMENTS_NEW_TOKEN, "\n".join(s[:120] for s in statements)
    assert compiled == []
    stored = db.session.execute(select(VoucherApplication).where(
        VoucherApplication.firm_id == counted.organisation_id)).scalar_one()
    assert stored.status == ApplicationStatus.SUBMITTED


@pytest.mark.redis      # the token remembered by the process
def test_an_application_with_a_known_token_reads_no_token(client, programmes):
    member = FirmMemberFactory()
    db.session.commit()
    headers = token_for(member)
    _apply(client, headers, programmes[0])
    statements, compiled = _apply(client, headers, programmes[1])
    assert len(statements) <= MAX_STATEMENTS_KNOWN_TOKEN, \
        "\n".join(s[:120] for s in statements)
    assert not [s for s in statements if "api_tokens" in s]
    assert compiled == []


def test_a_second_application_to_the_same_programme_is_still_refused(client, programmes):
    """Rule 3.1 read with the programme still refuses a second live application."""
    member = FirmMemberFactory()
    db.session.commit()
    headers = token_for(member)
    _apply(client, headers, programmes[0])
    response = client.post(f"{PREFIX}/voucher-applications", headers=headers, json={
        "programme_id": programmes[0].id, "requested_fen": 100_000_00,
        "purpose": "Materials testing for the new coating line", "planned_categories": []})
    assert response.status_code == 422
    assert [f["clause"] for f in response.get_json()["error"]["details"]["failed"]] == ["3.1"]
