"""Concurrent approvals by several auditors never over-issue.

Each approval runs in its own thread with its own app context, session and database
connection, and they are released together, so the transactions really overlap in
PostgreSQL (the row locks are what is tested; several web processes meet there the same
way; tests/reliability/test_load.py drives real gunicorn processes)."""
import queue
import threading

import pytest

from marketplace.accounts.models import User
from marketplace.core import ledger
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.vouchers import budget_use
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher, VoucherApplication
from tests.factories import FirmMemberFactory, make_application, make_programme, staff

pytestmark = pytest.mark.postgres

# each waiting thread holds a pooled connection: stay under the pool's 5 + 10 overflow
APPROVALS = 12


def _approve(app, application_id, auditor_id, start_line, results):
    with app.app_context():
        try:
            auditor = db.session.get(User, auditor_id)
            application = db.session.get(VoucherApplication, application_id)
            start_line.wait(timeout=60)
            services.decide_application(application, actor=auditor, decision="approve")
            db.session.commit()
            results.put(("issued", application_id))
        except DomainError as error:
            db.session.rollback()
            results.put((error.code, application_id))
        except Exception as error:  # noqa: BLE001 - reported to the test, not lost in a thread
            db.session.rollback()
            results.put((repr(error), application_id))
        finally:
            db.session.remove()


def test_concurrent_approvals_against_a_budget_for_half_of_them_issue_exactly_half(app):
    programme = make_programme(budget_fen=APPROVALS // 2 * 100_000_00)
    auditors = [staff("auditor") for _ in range(3)]
    applications = [make_application(programme, FirmMemberFactory(), requested_fen=100_000_00)
                    for _ in range(APPROVALS)]
    db.session.commit()
    results = queue.Queue()
    start_line = threading.Barrier(APPROVALS)
    threads = [threading.Thread(target=_approve, args=(
        app, application.id, auditors[i % 3].id, start_line, results))
        for i, application in enumerate(applications)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = [results.get_nowait() for _ in threads]
    codes = sorted(code for code, _ in outcomes)
    assert codes.count("issued") == APPROVALS // 2, codes
    assert codes.count("budget_exhausted") == APPROVALS // 2, codes
    db.session.expire_all()
    assert db.session.query(Voucher).count() == APPROVALS // 2
    figures = budget_use.budget_figures(programme)
    assert figures["issued_fen"] == figures["budget_fen"] and figures["available_fen"] == 0
    assert ledger.violations() == []
