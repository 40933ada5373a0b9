"""Scenario 1, the opening rush: a first-come-first-served programme opens and every firm
applies at once through the full stack (API token, validation, eligibility, audit,
outbox, a real Celery worker), while auditors approve applications racing them. The
budget funds only some of them: zero over-issue is checked afterwards, with the ledger.

Goal: applications/s >= 0.15 x the framework ceiling; p99 <= 3 x p50; zero over-issue."""
import asyncio
import time
from datetime import date, timedelta

from sqlalchemy import func, select

import os

from bench import ceiling_database, ceiling_framework, cpu, data, load, profiling
from bench.env import flask_cli, product, step
from bench.report import Figure

SCALES = True
REQUESTED_FEN = 100_000_00
APPROVERS = 2


def setup(env, url, firms):
    from marketplace.extensions import db
    from marketplace.vouchers import services

    app = env.app(url)
    with app.app_context():
        auditor, auditor_token = data.staff("auditor")
        members = data.firm_members(firms)
        today = date.today()
        funded = max(2, firms // 100)  # one in a hundred: it runs out during the rush
        programme = services.create_programme(
            actor=None, name="开放申报基准", year=today.year,
            budget_fen=REQUESTED_FEN * funded, applications_open_on=today - timedelta(days=1),
            applications_close_on=today + timedelta(days=30),
            vouchers_valid_until=today + timedelta(days=365))
        db.session.commit()
        return app, programme.id, members, auditor_token


def application(programme_id, token):
    return load.Request.json("POST", "/api/v1/voucher-applications", {
        "programme_id": programme_id, "requested_fen": REQUESTED_FEN,
        "purpose": "开放申报：检验检测与工艺改进服务", "planned_categories": []},
        **data.bearer(token))


def approver(port, auditor_token, outcome, index=0):
    """Approve submitted applications as they arrive until the budget is exhausted; the
    approvers share the queue (each takes the ids equal to its index modulo their number)."""
    async def loop():
        tried = set()
        while not outcome["exhausted"]:
            listing = await load.fetch(port, load.Request(
                "GET", "/api/v1/voucher-applications?status=submitted&per_page=20",
                data.bearer(auditor_token)))
            items = [i for i in listing.json().get("items", [])
                     if i["id"] not in tried and i["id"] % APPROVERS == index]
            if not items:
                await asyncio.sleep(0.05)
                continue
            for item in items:
                tried.add(item["id"])
                answer = await load.fetch(port, load.Request.json(
                    "POST", f"/api/v1/voucher-applications/{item['id']}/decisions",
                    {"decision": "approve"}, **data.bearer(auditor_token)))
                if answer.status == 200:
                    outcome["approved"] += 1
                elif b"budget_exhausted" in answer.body:
                    outcome["exhausted"] = True
                    return
                else:
                    outcome["other"][answer.status] = outcome["other"].get(answer.status, 0) + 1
    return loop


def check(app, programme_id):
    """Issued never above the budget, and the pool never negative."""
    from marketplace.extensions import db
    from marketplace.vouchers import budget_use
    from marketplace.vouchers.models import Programme, Voucher, VoucherApplication

    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        issued = db.session.execute(select(func.coalesce(func.sum(Voucher.face_value_fen), 0))
                                    .where(Voucher.programme_id == programme_id)).scalar_one()
        pool = budget_use.budget_figures(programme)["available_fen"]
        apps = db.session.execute(select(func.count(VoucherApplication.id))).scalar_one()
        db.session.remove()
        return {"budget_fen": programme.budget_fen, "issued_fen": int(issued),
                "pool_fen": int(pool), "applications": apps,
                "over_issue_fen": max(0, int(issued) - programme.budget_fen)
                + max(0, -int(pool))}


def run(env, size, *, instances=1, profile_dir=None):
    firms, seconds = size["rush_firms"], size["ceiling_seconds"]
    tag = "" if instances == 1 else f" ({instances} instances)"
    with env.database("rush") as url:
        with step(f"setup: {firms} firms with tokens, a programme"):
            app, programme_id, members, auditor_token = setup(env, url, firms)
        with step("ceilings: framework, database"):
            framework = ceiling_framework.measure(env, seconds)
            db_tps = ceiling_database.rush(env, url, seconds, programme_id, firms)
        outcome = {"approved": 0, "exhausted": False, "other": {}}
        with product(env, url, "rush", instances=instances) as servers:
            ports = [s.port for s in servers]
            t0 = time.monotonic()
            warm = load.Request("GET", "/api/v1/programmes", data.bearer(auditor_token))
            load.drive(ports, [warm] * (4 * env.workers * instances),
                       concurrency=env.concurrency)
            requests = (application(programme_id, token) for _org, _uid, token in members)
            mark = cpu.outbox_mark(app)
            account = cpu.CpuAccount(cpu.stack_parts(servers, servers.celery_procs)).start()
            result = load.drive(ports, requests, concurrency=env.concurrency,
                                side_tasks=[approver(ports[0], auditor_token, outcome, i)
                                            for i in range(APPROVERS)])
            print(f"bench:   load: {time.monotonic() - t0:.1f} s", flush=True)
            drained = cpu.wait_for_outbox(app, mark)
            per_app = account.stop().per_item_ms(firms)
            allowed = cpu.budget_note(os.cpu_count() or 1, framework.rate, 0.15)
            print(f"bench:   {cpu.describe(per_app, allowed, 'application')}", flush=True)
        after = check(app, programme_id)
        ledger_rc, ledger_out = flask_cli(app, "ledger", "verify")
        audit_rc, audit_out = flask_cli(app, "audit", "verify")
        text = None
        if profile_dir:
            extra = data_more_firms(app, 50)
            text = profiling.profile_requests(
                app, [application(programme_id, t) for t in extra],
                f"{profile_dir}/rush.txt")
    created = result.statuses.get(201, 0)
    notes = {"load": result.summary(), "approved_during_rush": outcome["approved"],
             "approver_other_statuses": outcome["other"], "after": after,
             "ledger_verify": ledger_out.splitlines()[-1:], "audit_verify":
             audit_out.splitlines()[-1:], "database_ceiling_tps": round(db_tps, 1),
             "ratio_to_database_ceiling": round(result.rate / db_tps, 3),
             "cpu_ms_per_application": per_app,
             "cpu_ms_per_application_the_goal_allows": allowed,
             "outbox_drained_s_after_the_load": None if drained is None else round(drained, 1)}
    if text:
        notes["profile"] = profiling.top_lines(text)
    p50, p99 = result.percentile(50), result.percentile(99)
    name = f"applications/s{tag}"
    return [
        Figure("1 rush", name, result.rate, "req/s", "framework req/s", framework.rate,
               ">= 0.15", notes=notes),
        Figure("1 rush", f"p99 / p50{tag}", p99 / p50 if p50 else 0, "x", goal="<= 3",
               notes={"p50_ms": round(p50 * 1000, 1), "p99_ms": round(p99 * 1000, 1)}),
        Figure("1 rush", f"over-issue{tag}", after["over_issue_fen"], "fen", goal="== 0",
               met=(after["over_issue_fen"] == 0 and ledger_rc == 0 and audit_rc == 0
                    and created == firms and result.errors == 0),
               notes={"created": created, "firms": firms, "ledger_rc": ledger_rc,
                      "audit_rc": audit_rc}),
    ]


def data_more_firms(app, n):
    from marketplace.extensions import db
    with app.app_context():
        members = data.firm_members(n)
        db.session.commit()
        db.session.remove()
    return [token for _o, _u, token in members]
