"""Scenario 3, the catalogue, and scenario 8, memory: 1,000 agencies with 10,000
offerings (bulk inserts, search terms computed by catalogue/search.py as the services
do), searched anonymously in Chinese with two filters (a page of 20); then the landing
page and agency pages (random agencies: at full size most are a first visit, a miss of
the visitor page cache), then agency pages again after each was visited once (hits);
then the web workers' resident memory.

Goals: search >= 0.25 x the framework ceiling; landing and agency pages >= 0.5 x;
a web worker's RSS after the scenario <= 150 MB."""
import os
import random
import time

from sqlalchemy import insert, select

from bench import ceiling_framework, cpu, data, load, profiling
from bench.env import product, rss_mb, step
from bench.report import Figure

QUERY = "检测"
TITLES = ("材料检测服务", "知识产权代理", "技术转让咨询", "工业设计服务", "软件测评", "环境检测",
          "专利申请代理", "科技成果评价", "检验检测认证", "中试熟化服务", "高分子材料分析",
          "电子产品可靠性测试", "食品安全检测", "技术合同登记咨询", "数据分析与建模")
PHRASES = ("依据国家标准开展金属与高分子材料的成分、性能检测。", "提供专利检索、撰写与申请全流程服务。",
           "为中小企业提供技术诊断与工艺改进方案。", "出具CMA盖章报告，周期短，价格透明。",
           "团队由高级工程师和博士组成，服务南昌及周边企业。", "可按企业需求定制检测方案与技术培训。")


def setup(env, url, agencies, offerings):
    """Bulk rows, with the same search terms catalogue.services.reindex would store."""
    from marketplace.accounts.models import District, OrganisationKind
    from marketplace.agencies.models import (AgencyProfile, AgencyStatus, AgencyType,
                                             ServiceCategory, agency_categories)
    from marketplace.catalogue import search
    from marketplace.catalogue.models import Offering, OfferingStatus, PriceModel
    from marketplace.core.timeutil import now_utc
    from marketplace.extensions import db

    rng = random.Random(10)
    app = env.app(url)
    with app.app_context():
        org_ids = data.organisations(agencies, OrganisationKind.AGENCY)
        names = dict(db.session.execute(select(data.Organisation.id, data.Organisation.name)
                                        .where(data.Organisation.id.in_(org_ids))).all())
        categories = db.session.execute(select(ServiceCategory).where(
            ServiceCategory.is_active.is_(True))).scalars().all()
        testing = next(c for c in categories if c.code == "testing")
        now = now_utc()
        types = list(AgencyType)
        db.session.execute(insert(AgencyProfile), [dict(
            organisation_id=org, status=AgencyStatus.ADMITTED, agency_type=types[i % 4],
            in_city=i % 5 != 0, home_city=None if i % 5 else "武汉", introduction=rng.choice(PHRASES),
            staff_count=20, qualified_staff_count=8, staff_qualifications="高级工程师5名",
            years_in_operation=6, fee_schedule="按项目报价", is_broker=False, admitted_dt=now,
            status_changed_dt=now, created_dt=now, updated_dt=now)
            for i, org in enumerate(org_ids)])
        db.session.execute(insert(agency_categories), [
            dict(agency_id=org, category_id=cid) for org in org_ids
            for cid in {testing.id, rng.choice(categories).id}])
        rows = []
        for i in range(offerings):
            org = org_ids[i % agencies]
            category = testing if i % 3 == 0 else rng.choice(categories)
            title = rng.choice(TITLES) + ("" if i % 2 else f"（{i}号）")
            description = " ".join(rng.sample(PHRASES, 2))
            price = rng.choice((800_00, 5_000_00, 20_000_00, 80_000_00))
            rows.append(dict(
                agency_id=org, category_id=category.id, title=title, description=description,
                deliverables="检测报告（CMA盖章）", price_model=PriceModel.FIXED, price_fen=price,
                price_low_fen=price, price_high_fen=price, typical_duration_days=10,
                accepts_vouchers=True, status=OfferingStatus.PUBLISHED, needs_check=False,
                created_dt=now, updated_dt=now, search_title=search.index_terms(title),
                search_body=search.index_terms(description, "检测报告（CMA盖章）",
                                               category.name_zh, category.name_en, names[org])))
            if len(rows) == 5000:
                db.session.execute(insert(Offering), rows)
                rows = []
        if rows:
            db.session.execute(insert(Offering), rows)
        district = db.session.execute(select(District.code).order_by(District.id)).scalar()
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.session.remove()
    return app, org_ids, district


def run(env, size, *, instances=1, profile_dir=None):
    seconds, count = size["ceiling_seconds"], size["catalogue_requests"]
    with env.database("catalogue") as url:
        with step(f"setup: {size['catalogue_agencies']} agencies, "
                  f"{size['catalogue_offerings']} offerings"):
            app, agencies, district = setup(env, url, size["catalogue_agencies"],
                                            size["catalogue_offerings"])
        with step("ceiling: framework"):
            framework = ceiling_framework.measure(env, seconds)
        search = load.Request("GET", f"/catalogue?q={_quote(QUERY)}&category=testing"
                                     f"&district={district}")
        rng = random.Random(3)

        def agency_pages():
            return (load.Request("GET", f"/agencies/{rng.choice(agencies)}")
                    for _ in iter(int, 1))

        def every_agency_page():
            """Visits each agency page once (untimed), so the next figure measures the
            page cache's hits; the figure before it is mostly first visits (misses)."""
            load.drive(port, [load.Request("GET", f"/agencies/{a}") for a in agencies],
                       concurrency=env.concurrency)
            return agency_pages()

        # the API is never in the visitor page cache: every request runs the search, as
        # every search page of a signed-in user does
        api_search = load.Request("GET", f"/api/v1/offerings?q={_quote(QUERY)}&per_page=20")
        pages = {"search (检测 + category + district)": lambda: load.repeat(search),
                 "search through the API (检测, uncached)": lambda: load.repeat(api_search),
                 "landing page": lambda: load.repeat(load.Request("GET", "/")),
                 "agency pages": agency_pages,
                 "agency pages, each visited before": every_agency_page}
        results, rss, caches = {}, [], {}   # caches: the page cache's X-Cache answers
        per_request = {}                    # label -> CPU ms per request by part
        with product(env, url, "catalogue", celery=False) as servers:
            port = servers[0].port
            load.drive(port, [search] * (4 * env.workers), concurrency=env.concurrency)
            matches = _offering_links(port, search)
            for label, requests in pages.items():
                requests = requests()
                verdicts = caches[label] = {}

                def note(_request, response, verdicts=verdicts):
                    verdict = (response.headers.get("x-cache") or ["none"])[0]
                    verdicts[verdict] = verdicts.get(verdict, 0) + 1

                t0 = time.monotonic()
                account = cpu.CpuAccount(cpu.stack_parts(servers)).start()
                results[label] = load.drive(port, _take(requests, count),
                                            concurrency=env.concurrency, on_response=note)
                per_request[label] = account.stop().per_item_ms(count)
                print(f"bench:   load {label}: {time.monotonic() - t0:.1f} s; "
                      f"{cpu.describe(per_request[label], None, 'request')}", flush=True)
            rss = [rss_mb(pid) for pid in servers[0].worker_pids()]
        text = None
        if profile_dir:
            text = profiling.top_lines(profiling.profile_requests(
                app, [search] * 20, f"{profile_dir}/catalogue.txt"))
    figures = []
    for (label, result), goal in zip(results.items(),
                                     (">= 0.25", ">= 0.25", ">= 0.5", ">= 0.5", ">= 0.5")):
        notes = {"load": result.summary(), "x_cache": caches[label],
                 "cpu_ms_per_request": per_request[label],
                 "cpu_ms_allowed_per_request": cpu.budget_note(
                     os.cpu_count() or 1, framework.rate, float(goal.split()[-1]))}
        if label.startswith("search"):
            notes["first_page_results"] = matches
            if text:
                notes["profile"] = text
        ok = result.statuses.get(200, 0) == result.count and result.errors == 0
        figures.append(Figure("3 catalogue", f"{label} req/s", result.rate, "req/s",
                              "framework req/s", framework.rate, goal, notes=notes))
        if not ok:
            figures[-1].met = False
    figures.append(Figure("8 memory", "web worker RSS after the catalogue (max)",
                          max(rss or [0]), "MB", goal="<= 150",
                          notes={"workers_mb": [round(r, 1) for r in rss]}))
    return figures


def _take(iterator, n):
    for _ in range(n):
        yield next(iterator)


def _quote(text):
    from urllib.parse import quote
    return quote(text)


def _offering_links(port, request):
    """Offerings listed on the first page of the search (20 when enough match)."""
    import asyncio
    import re
    response = asyncio.run(load.fetch(port, request))
    return len(set(re.findall(rb'href="/offerings/(\d+)"', response.body)))
