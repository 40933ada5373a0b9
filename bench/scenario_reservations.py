"""Scenario 2, contract reservations: firms sign technology contracts paying half with
their voucher; each signature reserves the voucher part with conditional UPDATEs in the
same transaction. Two runs: spread over many vouchers, and every signature on one hot
voucher (which can fund only five in six of them: the rest must be refused).

Goal: >= 0.15 x the framework ceiling spread, >= 0.10 x on the hot voucher; zero
overspend; `flask ledger verify` clean."""
import os
import secrets
import time
from datetime import date, timedelta

from sqlalchemy import func, select, update

from bench import ceiling_database, ceiling_framework, cpu, data, load, profiling
from bench.env import flask_cli, product, step
from bench.report import Figure

SCALES = True
AGENCIES = 5
SPREAD_CONTRACT_FEN = 1_000_000     # ¥10,000: ¥5,000 from a ¥200,000 voucher
HOT_FACE_FEN = 500_000_00           # a benchmark HTE's cap


def _agency_offerings(n):
    """Admitted agencies with one offering each, through the real services."""
    from marketplace.agencies.models import AgencyProfile, AgencyStatus
    from marketplace.extensions import db
    from tests.factories import AgencyMemberFactory, make_agency_profile, make_offering
    offerings = []
    for _ in range(n):
        member = AgencyMemberFactory()
        # the draft profile made with its organisation loaded (the exchange index's
        # after_flush hook reads profile.organisation.name)
        db.session.add(AgencyProfile(organisation=member.organisation,
                                     status=AgencyStatus.DRAFT, in_city=True))
        db.session.flush()
        offerings.append(make_offering(make_agency_profile(member)))
    return offerings


def _voucher(programme, org_id, user_id, face_fen, auditor):
    from marketplace.extensions import db
    from marketplace.accounts.models import User
    from marketplace.vouchers import services

    member = db.session.get(User, user_id)
    application = services.apply_for_voucher(
        firm=member.organisation, applicant=member, programme=programme,
        requested_fen=face_fen, purpose="基准测试：技术服务合同", declares_no_double_funding=True)
    return services.decide_application(application, actor=auditor, decision="approve")


def _quoted(offering, user_id, contract_fen):
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.orders import services

    member = db.session.get(User, user_id)
    order = services.request_order(firm_member=member, offering=offering, message="请按报价提供服务")
    services.submit_quote(order, offering.agency.organisation.members[0],
                          contract_type="service", contract_amount_fen=contract_fen,
                          technical_amount_fen=contract_fen, deliverables="检测报告",
                          due_date=date.today() + timedelta(days=30))
    return order.id


def setup(env, url, vouchers, hot_orders):
    """``vouchers`` firms with a ¥200,000 voucher and one quoted order each; one benchmark
    firm with a ¥500,000 voucher and ``hot_orders`` quoted orders sized so that five in
    six can be funded."""
    from marketplace.accounts.models import FirmTier
    from marketplace.core import outbox
    from marketplace.core.timeutil import now_utc
    from marketplace.extensions import db
    from marketplace.vouchers import services

    hot_fit = max(1, hot_orders * 5 // 6)
    hot_contract_fen = 2 * HOT_FACE_FEN // hot_fit
    app = env.app(url)
    with app.app_context():
        auditor, _ = data.staff("auditor")
        today = date.today()
        programme = services.create_programme(
            actor=None, name="合同预留基准", year=today.year, budget_fen=10**13,
            applications_open_on=today - timedelta(days=1),
            applications_close_on=today + timedelta(days=30),
            vouchers_valid_until=today + timedelta(days=365),
            rules={"min_order_fen": min(SPREAD_CONTRACT_FEN, hot_contract_fen)})
        offerings = _agency_offerings(AGENCIES)
        spread = []
        for i, (org, uid, token) in enumerate(data.firm_members(vouchers)):
            voucher = _voucher(programme, org, uid, 200_000_00, auditor)
            order_id = _quoted(offerings[i % AGENCIES], uid, SPREAD_CONTRACT_FEN)
            spread.append((order_id, voucher.id, token))
            if i % 200 == 199:
                db.session.commit()
        (org, uid, token), = data.firm_members(1, tier=FirmTier.BENCHMARK_HIGH_TECH)
        hot_voucher = _voucher(programme, org, uid, HOT_FACE_FEN, auditor)
        hot = [(_quoted(offerings[i % AGENCIES], uid, hot_contract_fen), hot_voucher.id, token)
               for i in range(hot_orders)]
        db.session.commit()
        outbox._committed_ids.set(None)  # setup's notifications are not what is measured
        # ... nor handled while it is: a deployment's sweep would have handed them over
        # long before, and a drain (core/outbox_drain.py) takes every message it finds
        db.session.execute(update(outbox.OutboxMessage)
                           .where(outbox.OutboxMessage.processed_dt.is_(None))
                           .values(processed_dt=now_utc()))
        db.session.commit()
        db.session.remove()
    return app, spread, hot, hot_fit


def signature(order_id, voucher_id, token):
    return load.Request.json("POST", f"/api/v1/orders/{order_id}/contract",
                             {"voucher_id": voucher_id}, **data.bearer(token),
                             **{"Idempotency-Key": secrets.token_hex(16)})


def overspend(app):
    """Fen reserved beyond a voucher's face value, summed over vouchers (must be 0), and
    whether any voucher account is negative."""
    from marketplace.core.ledger import LedgerAccount
    from marketplace.extensions import db
    from marketplace.orders.models import TechContract
    from marketplace.vouchers.models import Voucher

    with app.app_context():
        per_voucher = db.session.execute(
            select(Voucher.id, Voucher.face_value_fen,
                   func.coalesce(func.sum(TechContract.voucher_part_fen), 0))
            .outerjoin(TechContract, TechContract.voucher_id == Voucher.id)
            .group_by(Voucher.id, Voucher.face_value_fen)).all()
        negative = db.session.execute(select(func.count(LedgerAccount.id)).where(
            LedgerAccount.balance_fen < 0, LedgerAccount.allow_negative.is_(False))).scalar_one()
        db.session.remove()
    return sum(max(0, int(used) - int(face)) for _id, face, used in per_voucher), negative


def run(env, size, *, instances=1, profile_dir=None):
    seconds = size["ceiling_seconds"]
    tag = "" if instances == 1 else f" ({instances} instances)"
    figures = []
    with env.database("reserve") as url:
        with step(f"setup: {size['reserve_vouchers']} vouchers with an order each, one hot "
                  f"voucher with {size['reserve_hot_orders']} orders"):
            app, spread, hot, hot_fit = setup(env, url, size["reserve_vouchers"],
                                              size["reserve_hot_orders"])
        with step("ceilings: framework, database spread and hot"):
            framework = ceiling_framework.measure(env, seconds)
            db_spread = ceiling_database.reserve(env, url, seconds, len(spread))
            db_hot = ceiling_database.reserve(env, url, seconds, 1)
        with product(env, url, "reserve", instances=instances) as servers:
            ports = [s.port for s in servers]
            warm = load.Request("GET", "/api/v1/vouchers", data.bearer(spread[0][2]))
            load.drive(ports, [warm] * (4 * env.workers * instances),
                       concurrency=env.concurrency)
            results, per_signature = {}, {}
            for label, rows in (("spread", spread), ("hot", hot)):
                t0 = time.monotonic()
                mark = cpu.outbox_mark(app)
                account = cpu.CpuAccount(cpu.stack_parts(servers,
                                                         servers.celery_procs)).start()
                results[label] = load.drive(ports, (signature(*row) for row in rows),
                                            concurrency=env.concurrency)
                print(f"bench:   load {label}: {time.monotonic() - t0:.1f} s", flush=True)
                cpu.wait_for_outbox(app, mark)
                per_signature[label] = account.stop().per_item_ms(len(rows))
                print(f"bench:   {label}: {cpu.describe(per_signature[label], None, 'signature')}",
                      flush=True)
        over, negative = overspend(app)
        ledger_rc, ledger_out = flask_cli(app, "ledger", "verify")
        text = None
        if profile_dir and instances == 1:
            text = profiling.top_lines(profiling.profile_requests(
                app, [signature(*row) for row in hot[-20:]] + [], f"{profile_dir}/reserve.txt"))
    for label, goal, db_tps in (("spread", ">= 0.15", db_spread), ("hot", ">= 0.10", db_hot)):
        result = results[label]
        notes = {"load": result.summary(), "database_ceiling_tps": round(db_tps, 1),
                 "ratio_to_database_ceiling": round(result.rate / db_tps, 3),
                 "cpu_ms_per_signature": per_signature[label],
                 "cpu_ms_per_signature_the_goal_allows": cpu.budget_note(
                     os.cpu_count() or 1, framework.rate, float(goal.split()[1]))}
        if label == "hot":
            notes["fundable"] = hot_fit
            if text:
                notes["profile"] = text
        figures.append(Figure("2 reservations", f"signatures/s {label}{tag}", result.rate,
                              "req/s", "framework req/s", framework.rate, goal, notes=notes))
    hot_ok = results["hot"].statuses.get(200, 0)
    spread_ok = results["spread"].statuses.get(200, 0)
    figures.append(Figure(
        "2 reservations", f"overspend{tag}", over, "fen", goal="== 0",
        # the voucher pays half of a contract, at most its balance: the orders sized to
        # fit are funded in full, one more may take the remainder, the rest are refused
        met=(over == 0 and negative == 0 and ledger_rc == 0
             and hot_fit <= hot_ok <= hot_fit + 1 and spread_ok == len(spread)),
        notes={"hot_signed": hot_ok, "hot_fundable": hot_fit, "spread_signed": spread_ok,
               "spread_orders": len(spread), "negative_accounts": negative,
               "ledger_verify": ledger_out.splitlines()[-1:],
               "hot_statuses": results["hot"].statuses}))
    return figures
