"""Scenario 6, import: 100,000 registry rows from a CSV export through the product's
``marketplace.turnover.imports.importer.import_file`` (its own process, so its peak RSS is its
own), against PostgreSQL COPY of the same rows into a table of the same shape and
indexes.

Goals: rows/s >= 0.3 x COPY's; peak RSS < 300 MB."""
import csv
import io
import json
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import select

from bench import data
from bench.env import PY, ROOT, step
from bench.report import Figure

TYPES = (("技术开发", "development"), ("技术转让", "transfer"), ("技术许可", "licensing"),
         ("技术咨询", "consulting"), ("技术服务", "service"))
HEADER = ("contract_number", "contract_type", "contract_amount", "technical_amount",
          "buyer", "seller", "seller_district", "field", "signed_on", "registered_on",
          "voucher_funded")


def missing():
    try:
        from marketplace.turnover.imports.importer import import_file  # noqa: F401
    except ImportError as exc:
        return f"the import is not there yet ({exc})"
    return None


def rows(n, districts, fields):
    last_year = date.today().year - 1   # whole year in the past: no date in the future
    for i in range(n):
        day = date(last_year, 1 + i % 12, 1 + i % 28)
        yuan = 10_000 + (i * 37) % 4_990_000
        zh, code = TYPES[i % 5]
        yield (f"IMP-{i:08d}", zh, code, yuan, yuan * 4 // 5, f"导入企业{i % 7000}",
               f"导入技术转移机构{i % 300}", districts[i % len(districts)], fields[i % len(fields)],
               day, i % 4 == 0)


def run(env, size, *, instances=1, profile_dir=None):
    from marketplace.accounts.models import District
    from marketplace.extensions import db
    from marketplace.technology_fields.services import TECH_FIELDS

    n = size["import_rows"]
    with env.database("import") as url:
        app = env.app(url)
        with app.app_context():
            districts = db.session.execute(select(District.id, District.name_zh)
                                           .order_by(District.id)).all()
            auditor, _token = data.staff("auditor")
            auditor_id = auditor.id
            db.session.commit()
            db.session.remove()
        fields = [code for code, _zh, _en in TECH_FIELDS]
        names = [name for _id, name in districts]
        ids = {name: district_id for district_id, name in districts}
        with tempfile.TemporaryDirectory(prefix="hc-bench-import-") as tmp:
            path = Path(tmp) / "registrations.csv"
            with step(f"setup: write {n:,} rows to CSV"):
                with open(path, "w", newline="", encoding="utf-8") as out:
                    writer = csv.writer(out)
                    writer.writerow(HEADER)
                    for r in rows(n, names, fields):
                        writer.writerow((r[0], r[1], f"{r[3]}.00", f"{r[4]}.00", r[5], r[6],
                                         r[7], r[8], r[9].isoformat(), r[9].isoformat(),
                                         "是" if r[10] else "否"))
            copy_rate = _copy_rate(url, n, names, ids, fields)
            with step("import_file in its own process"):
                if env.in_process:
                    from bench import import_child
                    result = import_child.main(str(path), auditor_id, app)
                else:
                    # with --profile-dir the timed import itself runs under pyinstrument
                    # (its rate is then a little lower than without)
                    extra = [f"{profile_dir}/import.txt"] if profile_dir else []
                    done = subprocess.run([PY, "-m", "bench.import_child", str(path),
                                           str(auditor_id), *extra],
                                          cwd=ROOT, env=env.product_env(url),
                                          capture_output=True, text=True)
                    if done.returncode:
                        raise RuntimeError(f"import failed: {done.stdout[-2000:]}"
                                           f"{done.stderr[-3000:]}")
                    result = json.loads(done.stdout.strip().splitlines()[-1])
    rate = n / result["seconds"]
    ok = result["rows_added"] == n
    figures = [
        Figure("6 import", f"rows/s imported ({n:,} rows)", rate, "rows/s",
               "COPY rows/s", copy_rate, ">= 0.3", notes=result),
        Figure("6 import", "peak RSS of the importing process", result["peak_rss_mb"], "MB",
               goal="< 300", notes={"baseline_rss_mb": round(result["baseline_rss_mb"], 1)}),
    ]
    if not ok:
        figures[0].met = False
    return figures


def _copy_rate(url, n, names, ids, fields):
    """COPY of the same rows (as stored) into a copy of contract_registrations."""
    buffer = io.StringIO()
    for r in rows(n, names, fields):
        buffer.write("\t".join(map(str, (
            r[0], 0, "original", "import", "confirmed", r[2], r[3] * 100, r[4] * 100, r[5],
            r[6], ids[r[7]], "t", r[8], r[9], r[9], r[9].year, r[9].month,
            "t" if r[10] else "f", "2026-01-01 00:00:00+00"))) + "\n")
    data = buffer.getvalue().encode()
    columns = ("contract_number, sequence, kind, source, status, contract_type, "
               "contract_amount_fen, technical_amount_fen, buyer_name, seller_name, "
               "seller_district_id, seller_in_city, field_code, signed_on, registered_on, "
               "registered_year, registered_month, voucher_funded, created_dt")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bench_copy (LIKE contract_registrations INCLUDING ALL)")
        conn.commit()
        with step(f"ceiling: COPY {n:,} rows"):
            t0 = time.perf_counter()
            with conn.cursor().copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
                copy.write(data)
            conn.commit()
            seconds = time.perf_counter() - t0
    return n / seconds
