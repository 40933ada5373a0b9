"""Two admins change one programme's budget at once (one raises it, one lowers it): the
programme's budget and the ledger's funding of its pool still agree afterwards. Each
change moves the difference between the new budget and the one it read, so a change
computed from a budget another has changed meanwhile moved the wrong amount."""
import queue
import threading

import pytest

from marketplace.accounts.models import User
from marketplace.core import ledger
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from marketplace.vouchers import budget_use, services
from marketplace.vouchers.models import Programme
from tests.factories import make_programme, staff

pytestmark = pytest.mark.postgres


def _change(app, programme_id, admin_id, new_budget, start_line, results):
    with app.app_context():
        try:
            admin = db.session.get(User, admin_id)
            programme = db.session.get(Programme, programme_id)
            programme.budget_fen    # read, as the edit page reads it
            start_line.wait(timeout=60)
            services.update_programme(programme, actor=admin, budget_fen=new_budget)
            db.session.commit()
            results.put("changed")
        except DomainError as error:
            db.session.rollback()
            results.put(error.code)
        except Exception as error:  # noqa: BLE001 - reported to the test
            db.session.rollback()
            results.put(repr(error))
        finally:
            db.session.remove()


def test_two_budget_changes_at_once_leave_budget_and_books_agreeing(app):
    programme = make_programme(budget_fen=1_000_000_00)
    admins = [staff("admin"), staff("admin")]
    db.session.commit()
    results, start_line = queue.Queue(), threading.Barrier(2)
    threads = [threading.Thread(target=_change, args=(app, programme.id, admin.id, budget,
                                                      start_line, results))
               for admin, budget in zip(admins, (1_200_000_00, 800_000_00))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = [results.get_nowait() for _ in threads]
    assert outcomes == ["changed", "changed"], outcomes
    db.session.expire_all()
    programme = db.session.get(Programme, programme.id)
    figures = budget_use.budget_figures(programme)
    assert figures["available_fen"] == programme.budget_fen, figures
    assert ledger.violations() == []
