"""An import and a registration by hand of the same number, at the same moment, on two
connections: a registration never waits for an import (a contract is signed with its voucher
locked); an import that meets a number registered after its look-up looks up and copies
again, so it neither fails on a duplicate key nor registers the number twice. Two
registrations by hand of one number at once end in one row and one refusal."""
import io
import threading
import time
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import select, text

from marketplace.accounts.models import District
from marketplace.extensions import db
from marketplace.orders.models import ContractType
from marketplace.turnover.imports import importer
from marketplace.turnover.imports.importer import import_file
from marketplace.turnover.models import (ContractRegistration, RegistrationSource,
                                         RegistrationStatus)
from marketplace.turnover.registry import registration
from tests.integration.turnover.registry_builders import (csv_bytes, good_rows, person,
                                                          quiet)

pytestmark = pytest.mark.postgres

NUMBER = "IMP000002"     # one of good_rows(5)'s numbers


def register_by_hand(number):
    district_id = db.session.execute(select(District.id).where(
        District.name_zh == "东湖区")).scalar_one()
    return registration.register_original(
        contract_number=number, contract_type=ContractType.DEVELOPMENT,
        contract_amount_fen=100_000_00, technical_amount_fen=80_000_00,
        buyer_name="某买方", seller_name="某卖方", seller_in_city=True,
        seller_district_id=district_id, field_code="agriculture",
        signed_on=date.today() - timedelta(days=5), source=RegistrationSource.MANUAL)


class Elsewhere(threading.Thread):
    """``work`` in its own application context, so on its own session and connection;
    ``outcome`` is its result or the exception it raised."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.app, self.work, self.outcome = current_app._get_current_object(), work, None

    def run(self):
        with self.app.app_context():
            try:
                self.outcome = self.work()
            except Exception as error:      # handed to the test, which asserts on it
                db.session.rollback()
                self.outcome = error
            finally:
                db.session.remove()


def wait_until_someone_waits_for_a_lock(thread, seconds=10):
    """True once a connection to this database waits for a lock (checked on a connection of
    its own), False if ``thread`` ended first."""
    deadline = time.monotonic() + seconds
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()")).scalar()
            watcher.rollback()
            if waiting:
                return True
            if not thread.is_alive():
                return False
            time.sleep(0.02)
    raise AssertionError("nobody waited and the other side did not finish")


def numbered(number):
    return db.session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_number == number)).scalars().all()


def test_a_registration_by_hand_during_an_import_does_not_wait_and_the_import_skips_it(
        monkeypatch):
    auditor = person("auditor")
    quiet()
    look_up = importer._registered_numbers
    by_hand = Elsewhere(lambda: (register_by_hand(NUMBER).id, db.session.commit())[0])
    calls = []

    def look_up_then_register_by_hand(numbers):
        found = look_up(numbers)
        calls.append(sorted(found))
        if len(calls) == 1:
            # the import's transaction is open, its lock held: the other side must not
            # wait for it, and commits before the COPY
            by_hand.start()
            by_hand.join(10)
            assert not by_hand.is_alive(), "the registration by hand waited for the import"
        return found

    monkeypatch.setattr(importer, "_registered_numbers", look_up_then_register_by_hand)
    batch = import_file(io.BytesIO(csv_bytes(list(good_rows(5)))), "export.csv", auditor)
    db.session.commit()

    assert isinstance(by_hand.outcome, int), by_hand.outcome
    assert calls == [[], [NUMBER]]          # the COPY met the number: looked up again
    assert (batch.rows_added, batch.rows_already_registered) == (4, 1)
    [row] = numbered(NUMBER)
    assert (row.id, row.import_batch_id) == (by_hand.outcome, None)


def test_an_import_waits_for_a_registration_by_hand_in_flight_and_skips_its_number():
    auditor = person("auditor")
    quiet()
    auditor_id = auditor.id
    registered, go_on = threading.Event(), threading.Event()

    def register_and_hold():
        row = register_by_hand(NUMBER)
        registered.set()
        go_on.wait(10)          # not committed yet while the import starts
        db.session.commit()
        return row.id

    def run_import():
        batch = import_file(io.BytesIO(csv_bytes(list(good_rows(5)))), "export.csv",
                            auditor_id)
        db.session.commit()
        return batch.rows_added, batch.rows_already_registered

    by_hand = Elsewhere(register_and_hold)
    by_hand.start()
    assert registered.wait(10)
    importer = Elsewhere(run_import)
    importer.start()
    waited = wait_until_someone_waits_for_a_lock(importer)
    go_on.set()
    by_hand.join(10)
    importer.join(20)
    assert waited and isinstance(by_hand.outcome, int)
    assert importer.outcome == (4, 1), importer.outcome
    [row] = numbered(NUMBER)
    assert (row.id, row.status) == (by_hand.outcome, RegistrationStatus.PENDING)


def test_two_registrations_by_hand_of_one_number_at_once_leave_one_row_and_one_refusal():
    person("auditor")
    quiet()
    registered, go_on = threading.Event(), threading.Event()

    def register_and_hold():
        row = register_by_hand(NUMBER)
        registered.set()
        go_on.wait(10)
        db.session.commit()
        return row.id

    first = Elsewhere(register_and_hold)
    first.start()
    assert registered.wait(10)
    second = Elsewhere(lambda: register_by_hand(NUMBER))
    second.start()
    waited = wait_until_someone_waits_for_a_lock(second)
    go_on.set()
    first.join(10)
    second.join(10)
    assert waited and isinstance(first.outcome, int)
    assert isinstance(second.outcome, registration.ContractAlreadyRegistered)
    assert [row.id for row in numbered(NUMBER)] == [first.outcome]
