"""Scenario 5, claim checks at scale. (a) The six automatic checks of a claim, timed
in-process with 1,000 organisations (and 2,000 earlier contracts), then again after the
database has grown to 100,000 organisations and 200,000 earlier contracts: indexes, not
scans, keep the ratio near 1. (b) Claims checked through Celery (the outbox fan-out: one
task to start, one per check, the notifications) by the product's worker, against the
no-op task ceiling divided by the number of tasks a claim needs.

Goals: per-claim check time at the large size <= 2 x at the small one;
claims/s >= 0.5 x (no-op tasks/s / tasks per claim)."""
import itertools
import os
import time
from datetime import date

from sqlalchemy import func, select, text

from bench import ceiling_celery, cpu, data
from bench.env import step
from bench.report import Figure

SAMPLE_REPEATS = 3
_invoices = itertools.count(1)


def accepted_claims(n, offerings, programme, auditor):
    """``n`` claims just filed (accepted delivery), through the real services."""
    from marketplace.orders import fulfilment, services
    from tests.factories import FirmMemberFactory, make_quoted_order, make_voucher
    from tests.support.copay import record_paid_copay
    claims = []
    for i in range(n):
        member = FirmMemberFactory()
        voucher = make_voucher(programme, amount_fen=200_000_00, auditor=auditor,
                               firm_member=member)
        order = make_quoted_order(offerings[i % len(offerings)], member,
                                  contract_amount_fen=100_000_00)
        contract = services.sign_contract(order, member, voucher_id=voucher.id)
        record_paid_copay(order)
        fulfilment.deliver(order, order.offering.agency.organisation.members[0],
                           summary="交付", invoice_number=f"FP-B{next(_invoices):07d}",
                           invoice_amount_fen=100_000_00, invoice_date=date.today())
        claims.append(fulfilment.accept(order, member).id)
    return claims


def world(app, claims):
    from marketplace.accounts.models import Role
    from marketplace.core import outbox
    from marketplace.extensions import db
    from bench.scenario_reservations import _agency_offerings
    from tests.factories import make_programme, staff
    with app.app_context():
        auditor = staff("auditor")
        data.members([None], Role.AUDITOR, tokens=False)
        programme = make_programme(budget_fen=10**13)
        offerings = _agency_offerings(3)
        ids = accepted_claims(claims, offerings, programme, auditor)
        db.session.commit()
        outbox._committed_ids.set(None)   # left in the outbox, unsent, for part (b)
        db.session.remove()
    return ids


def grow(app, organisations, contracts):
    """Add organisations (19 firms to 1 agency with its registry entry) and earlier
    contracts (copies of a real one between random pairs, signed over two years) until
    there are ``organisations`` and ``contracts``."""
    from marketplace.accounts.models import Organisation, OrganisationKind
    from marketplace.agencies.models import AgencyProfile, AgencyStatus
    from marketplace.core.timeutil import now_utc
    from marketplace.extensions import db
    from marketplace.orders.models import Order, Quote, TechContract
    from sqlalchemy import insert

    with app.app_context():
        have = db.session.execute(select(func.count(Organisation.id))).scalar_one()
        missing = max(0, organisations - have)
        agencies = data.organisations(missing // 20, OrganisationKind.AGENCY)
        data.organisations(missing - len(agencies), OrganisationKind.FIRM)
        now = now_utc()
        if agencies:
            db.session.execute(insert(AgencyProfile), [dict(
                organisation_id=org, status=AgencyStatus.ADMITTED, in_city=True,
                introduction="", staff_count=1, qualified_staff_count=1,
                staff_qualifications="", years_in_operation=1, fee_schedule="",
                is_broker=False, admitted_dt=now, status_changed_dt=now, created_dt=now,
                updated_dt=now) for org in agencies])
        have = db.session.execute(select(func.count(TechContract.id))).scalar_one()
        extra = max(0, contracts - have)
        if extra:
            _copy_contracts(db.session, extra, Order, Quote, TechContract)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()


def _copy_contracts(session, n, Order, Quote, TechContract):
    template = session.execute(select(TechContract).order_by(TechContract.id)).scalars().first()
    # temp tables: one numbered snapshot of the firms and agencies to draw pairs from
    session.execute(text(
        "DROP TABLE IF EXISTS bench_f; DROP TABLE IF EXISTS bench_a;"
        "CREATE TEMP TABLE bench_f AS SELECT row_number() OVER () AS rn, id "
        "FROM organisations WHERE kind = 'firm';"
        "CREATE TEMP TABLE bench_a AS SELECT row_number() OVER () AS rn, "
        "organisation_id AS id FROM agency_profiles"))
    nf = session.execute(text("SELECT count(*) FROM bench_f")).scalar_one()
    na = session.execute(text("SELECT count(*) FROM bench_a")).scalar_one()
    first_new = session.execute(select(func.coalesce(func.max(Order.id), 0))).scalar_one() + 1

    def columns(table, overrides):
        names = [c.name for c in table.columns if c.name != "id"]
        return (", ".join(names),
                ", ".join(overrides.get(name, f"t.{name}") for name in names))

    names, values = columns(Order.__table__, {"firm_id": "f.id", "agency_id": "a.id"})
    session.execute(text(
        f"INSERT INTO orders ({names}) SELECT {values} FROM orders t "
        "CROSS JOIN generate_series(1, :n) g JOIN bench_f f ON f.rn = 1 + g % :nf "
        "JOIN bench_a a ON a.rn = 1 + (g * 7919) % :na WHERE t.id = :tid"),
        {"n": n, "nf": nf, "na": na, "tid": template.order_id})
    names, values = columns(Quote.__table__, {"order_id": "o.id"})
    session.execute(text(
        f"INSERT INTO quotes ({names}) SELECT {values} FROM quotes t JOIN orders o "
        "ON o.id >= :first WHERE t.id = :qid"), {"first": first_new, "qid": template.quote_id})
    names, values = columns(TechContract.__table__, {
        "number": "'HC-B-' || o.id", "order_id": "o.id", "quote_id": "q.id",
        "buyer_id": "o.firm_id", "seller_id": "o.agency_id",
        "signed_on": "t.signed_on - (o.id % 730)::int"})
    session.execute(text(
        f"INSERT INTO tech_contracts ({names}) SELECT {values} FROM tech_contracts t "
        "JOIN orders o ON o.id >= :first JOIN quotes q ON q.order_id = o.id "
        "WHERE t.id = :cid"), {"first": first_new, "cid": template.id})


def check_seconds(app, claim_ids):
    """Mean seconds for all six checks of one claim (each claim read afresh)."""
    from marketplace.claims import checks
    from marketplace.claims.models import Claim
    from marketplace.extensions import db
    with app.app_context():
        best = None
        for _ in range(SAMPLE_REPEATS):
            t0 = time.perf_counter()
            for claim_id in claim_ids:
                db.session.expire_all()
                claim = db.session.get(Claim, claim_id)
                for check in checks.CHECKS.values():
                    check(claim)
            took = (time.perf_counter() - t0) / len(claim_ids)
            best = took if best is None else min(best, took)
        db.session.remove()
    return best


def through_celery(env, url, app, claim_ids):
    """Dispatch the claims' waiting outbox messages to the product's worker; claims/s
    until every claim is past its checks and the outbox is empty, and tasks per claim."""
    from marketplace.claims.models import Claim, ClaimStatus
    from marketplace.core import outbox
    from marketplace.core.outbox import OutboxMessage
    from marketplace.core.timeutil import now_utc
    from marketplace.extensions import db

    with app.app_context(), env.celery_worker("celery_worker", env.product_env(url),
                                              "claims-worker",
                                              ready_app=app.extensions["celery"]) as worker:
        # only the queued claims' own messages are measured: the setup's side effects
        # (and the timed sample's claims) are marked done
        keep = {f'{{"claim_id": {claim_id}}}' for claim_id in claim_ids}
        for message in db.session.execute(select(OutboxMessage).where(
                OutboxMessage.processed_dt.is_(None))).scalars():
            if not (message.topic == "claims.submitted" and message.payload in keep):
                message.processed_dt = now_utc()
        db.session.commit()
        before = db.session.execute(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.processed_dt.isnot(None))).scalar_one()
        db.session.commit()
        app.extensions["celery"].set_current()   # the product's, not the no-op ceiling's
        account = cpu.CpuAccount({"Celery": lambda: [worker.pid] if worker else [],
                                  cpu.DRIVER: lambda: [os.getpid()]}).start()
        t0 = time.perf_counter()
        outbox.sweep(older_than_seconds=0, limit=1_000_000)
        deadline = time.monotonic() + 600
        while True:
            waiting = db.session.execute(select(func.count(Claim.id)).where(
                Claim.id.in_(claim_ids),
                Claim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.CHECKING]))).scalar_one()
            pending = db.session.execute(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.processed_dt.is_(None))).scalar_one()
            db.session.commit()
            if not waiting and not pending:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{waiting} claims still unchecked after 600 s")
            time.sleep(0.05)
        seconds = time.perf_counter() - t0
        per_claim = account.stop().per_item_ms(len(claim_ids))
        done = db.session.execute(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.processed_dt.isnot(None))).scalar_one() - before
        db.session.remove()
    return len(claim_ids) / seconds, done / len(claim_ids), seconds, per_claim


def run(env, size, *, instances=1, profile_dir=None):
    sample, celery_claims = size["claims_sample"], size["claims_celery"]
    small, large = size["claims_orgs_small"], size["claims_orgs_large"]
    contracts = size["claims_contracts"]
    with env.database("claims") as url:
        app = env.app(url)
        with step(f"setup: {sample + celery_claims} claims through the services"):
            ids = world(app, sample + celery_claims)
        timed, queued = ids[:sample], ids[sample:]
        with step(f"grow to {small} organisations, {2 * small} contracts; time the checks"):
            grow(app, small, 2 * small)
            at_small = check_seconds(app, timed)
        with step(f"grow to {large} organisations, {contracts} contracts; time the checks"):
            grow(app, large, contracts)
            at_large = check_seconds(app, timed)
        with step("ceiling: Celery no-op tasks"):
            noop_rate = ceiling_celery.measure(env, max(100, celery_claims * 10))
        with step(f"{len(queued)} claims checked through Celery"):
            rate, tasks_per_claim, seconds, per_claim = through_celery(env, url, app, queued)
        print(f"bench:   {cpu.describe(per_claim, None, 'claim')}", flush=True)
    ceiling = noop_rate / tasks_per_claim
    return [
        Figure("5 claim checks", f"check time per claim at {large:,} organisations",
               at_large * 1000, "ms", f"ms at {small:,} organisations", at_small * 1000,
               "<= 2", notes={"contracts_large": contracts, "contracts_small": 2 * small,
                              "claims_timed": len(timed)}),
        Figure("5 claim checks", "claims checked/s through Celery", rate, "claims/s",
               "no-op tasks/s / tasks per claim", ceiling, ">= 0.5",
               notes={"noop_tasks_per_s": round(noop_rate, 1),
                      "tasks_per_claim": round(tasks_per_claim, 2),
                      "claims": len(queued), "seconds": round(seconds, 2),
                      "cpu_ms_per_claim": per_claim}),
    ]
