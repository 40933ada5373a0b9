"""Contracts signed at once on one voucher, from several processes each with several
threads, never reserve more than the voucher holds."""
import multiprocessing
import os
import threading

import pytest

from marketplace import funds
from marketplace.core import ledger
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus, TechContract
from marketplace.vouchers import services as vouchers
from tests.factories import (FirmMemberFactory, make_offering, make_programme,
                             make_quoted_order, make_voucher)

pytestmark = pytest.mark.postgres

PROCESSES, THREADS = 5, 6


def _sign_in_own_process(database_url, order_ids, firm_member_id, voucher_id, start_line,
                         results):
    """A fresh process with its own app and engine; one thread (own app context, own
    session, own connection) per order."""
    os.environ["TEST_DATABASE_URL"] = database_url
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.core.errors import DomainError
    from marketplace.extensions import db as process_db
    from marketplace.orders import services

    app = create_app("testing")

    def sign(order_id):
        with app.app_context():
            member = process_db.session.get(User, firm_member_id)
            order = process_db.session.get(Order, order_id)
            start_line.wait(timeout=120)   # every process and thread is ready: go
            try:
                services.sign_contract(order, member, voucher_id=voucher_id)
                process_db.session.commit()
                results.put(("contracted", order_id))
            except DomainError as error:
                process_db.session.rollback()
                results.put((error.code, order_id))
            finally:
                process_db.session.remove()

    threads = [threading.Thread(target=sign, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_thirty_concurrent_contracts_on_a_voucher_for_twenty_reserve_exactly_twenty(app):
    firm_member = FirmMemberFactory()
    voucher = make_voucher(make_programme(), amount_fen=20 * 10_000_00,
                           firm_member=firm_member)
    offering = make_offering()
    orders = [make_quoted_order(offering, firm_member, contract_amount_fen=20_000_00)
              for _ in range(PROCESSES * THREADS)]
    db.session.commit()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_line = context.Barrier(PROCESSES * THREADS)
    ids = [order.id for order in orders]
    processes = [context.Process(target=_sign_in_own_process, args=(
        os.environ["TEST_DATABASE_URL"], ids[i::PROCESSES], firm_member.id, voucher.id,
        start_line, results)) for i in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in ids]
    for process in processes:
        process.join(timeout=30)
    codes = sorted(code for code, _ in outcomes)
    assert codes.count("contracted") == 20, codes
    assert codes.count("insufficient_voucher_balance") == 10, codes
    db.session.expire_all()
    assert db.session.query(TechContract).count() == 20
    assert db.session.query(Order).filter(Order.status == OrderStatus.CONTRACTED).count() == 20
    figures = funds.figures.voucher_balances(voucher)
    assert (figures["available_fen"], figures["reserved_fen"]) == (0, 20 * 10_000_00)
    assert ledger.violations() == []
