"""Concurrent approvals by several auditors in several processes never over-issue."""
import multiprocessing
import os
import time

import pytest

from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher, VoucherApplication
from tests.factories import FirmMemberFactory, make_application, make_programme, staff

pytestmark = pytest.mark.postgres


def _approve_in_own_process(database_url, application_id, auditor_id, start_at, results):
    """Runs in a fresh process with its own app, engine and connection."""
    os.environ["TEST_DATABASE_URL"] = database_url
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.core.errors import DomainError
    from marketplace.extensions import db as process_db
    from marketplace.vouchers import services as process_services

    app = create_app("testing")
    with app.app_context():
        auditor = process_db.session.get(User, auditor_id)
        application = process_db.session.get(VoucherApplication, application_id)
        time.sleep(max(0.0, start_at - time.time()))  # line every process up
        try:
            process_services.decide_application(application, actor=auditor,
                                                decision="approve")
            process_db.session.commit()
            results.put(("issued", application_id))
        except DomainError as error:
            process_db.session.rollback()
            results.put((error.code, application_id))


def test_twenty_concurrent_approvals_against_a_budget_for_ten_issue_exactly_ten(app):
    programme = make_programme(budget_fen=10 * 100_000_00)
    auditors = [staff("auditor") for _ in range(4)]
    applications = [make_application(programme, FirmMemberFactory(), requested_fen=100_000_00)
                    for _ in range(20)]
    db.session.commit()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 6
    processes = [context.Process(target=_approve_in_own_process, args=(
        os.environ["TEST_DATABASE_URL"], application.id, auditors[i % 4].id, start_at,
        results)) for i, application in enumerate(applications)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    codes = sorted(code for code, _ in outcomes)
    assert codes.count("issued") == 10, codes
    assert codes.count("budget_exhausted") == 10, codes
    db.session.expire_all()
    assert db.session.query(Voucher).count() == 10
    figures = services.budget_figures(programme)
    assert figures["issued_fen"] == figures["budget_fen"] and figures["available_fen"] == 0
    assert ledger.violations() == []
