"""Database ceiling: the SQL of the product's hot transaction, run by pgbench with a
custom script against the benchmark's own database. Reads hit the product's real tables
(token, programme and duplicate lookups); writes go to scratch tables ``bench_*`` of the
same shape (so the product's data and audit chain stay intact), and every write
transaction takes the audit chain's advisory lock and reads its last hash, as the
product's commit does. Clients = gunicorn workers: the product never has more
transactions in flight than that."""
import re
import subprocess
import tempfile
from pathlib import Path

import psycopg

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"

SCRATCH = """
CREATE TABLE IF NOT EXISTS bench_audit (id bigserial PRIMARY KEY, created_dt timestamptz
  NOT NULL DEFAULT now(), actor_id int, object_type varchar(64) NOT NULL, object_id
  varchar(64) NOT NULL, action varchar(64) NOT NULL, data text NOT NULL, prev_hash
  varchar(64) NOT NULL, hash varchar(64) NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS ix_bench_audit_object ON bench_audit (object_type, object_id);
CREATE TABLE IF NOT EXISTS bench_outbox (id bigserial PRIMARY KEY, topic varchar(100) NOT
  NULL, payload text NOT NULL, created_dt timestamptz NOT NULL DEFAULT now(), processed_dt
  timestamptz, attempts int NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, owner_id int NOT NULL,
  other_id int NOT NULL, status varchar(32) NOT NULL, amount_fen bigint NOT NULL, body text,
  created_dt timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS ix_bench_rows_owner ON bench_rows (owner_id, other_id);
CREATE TABLE IF NOT EXISTS bench_accounts (id int PRIMARY KEY, balance_fen bigint NOT NULL
  CHECK (balance_fen >= 0));
CREATE TABLE IF NOT EXISTS bench_postings (id bigserial PRIMARY KEY, transaction_id bigint
  NOT NULL, account_id int NOT NULL, amount_fen bigint NOT NULL, created_dt timestamptz NOT
  NULL DEFAULT now());
"""

AUDIT = """SELECT pg_advisory_xact_lock(990001);
SELECT hash FROM bench_audit ORDER BY id DESC LIMIT 1;
INSERT INTO bench_audit (actor_id, object_type, object_id, action, data, prev_hash, hash)
  VALUES (:u, 'X', :u, 'act', '{}', md5(random()::text), md5(random()::text) || md5(random()::text));
INSERT INTO bench_outbox (topic, payload) VALUES ('bench.topic', '{"id": 1}');
"""

# the voucher application: token, user, programme and rules, one-per-programme lookups
RUSH = """\\set u random(1, :users)
BEGIN;
SELECT id, user_id, revoked_dt, expires_dt FROM api_tokens WHERE token_hash = md5(:u::text) AND expires_dt > now();
SELECT id, role, organisation_id FROM users WHERE id = :u;
SELECT id FROM voucher_applications WHERE programme_id = :programme AND firm_id = :u;
SELECT id FROM vouchers WHERE programme_id = :programme AND firm_id = :u;
INSERT INTO bench_rows (owner_id, other_id, status, amount_fen, body)
  VALUES (:u, :programme, 'submitted', 10000000, repeat('x', 400));
""" + AUDIT + "COMMIT;\n"

# the contract signature: lock the order, move the voucher part from available to
# reserved with conditional UPDATEs, a ledger transaction with two postings, the contract
RESERVE = """\\set u random(1, :users)
\\set v random(1, :vouchers)
BEGIN;
SELECT id, user_id, revoked_dt, expires_dt FROM api_tokens WHERE token_hash = md5(:u::text) AND expires_dt > now();
SELECT id FROM bench_rows WHERE id = :u FOR UPDATE;
UPDATE bench_accounts SET balance_fen = balance_fen - 1 WHERE id = :v AND balance_fen >= 1;
UPDATE bench_accounts SET balance_fen = balance_fen + 1 WHERE id = -:v;
INSERT INTO bench_postings (transaction_id, account_id, amount_fen) VALUES (:u, :v, -1);
INSERT INTO bench_postings (transaction_id, account_id, amount_fen) VALUES (:u, -:v, 1);
INSERT INTO bench_rows (owner_id, other_id, status, amount_fen, body)
  VALUES (:u, :v, 'contracted', 50000, repeat('x', 200));
""" + AUDIT + "COMMIT;\n"


def prepare(db_url, vouchers=1):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(SCRATCH)
        conn.execute("TRUNCATE bench_accounts")
        conn.execute("INSERT INTO bench_accounts SELECT g, 1000000000 FROM "
                     "generate_series(1, %s) g UNION ALL SELECT -g, 0 FROM "
                     "generate_series(1, %s) g", (vouchers, vouchers))
        conn.execute("INSERT INTO bench_rows (owner_id, other_id, status, amount_fen) "
                     "SELECT g, 0, 'quoted', 1 FROM generate_series(1, 5000) g")


def pgbench(db_url, script, *, clients, seconds, variables):
    """Transactions/s of ``script`` (pgbench -T, -c ``clients``)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    cmd = [PGBENCH, "-n", "-f", f.name, "-c", str(clients), "-j", str(min(clients, 2)),
           "-T", str(max(1, int(round(seconds))))]
    for name, value in variables.items():
        cmd += ["-D", f"{name}={value}"]
    out = subprocess.run(cmd + [db_url], capture_output=True, text=True)
    Path(f.name).unlink()
    match = re.search(r"tps = ([\d.]+)", out.stdout)
    if out.returncode or not match:
        raise RuntimeError(f"pgbench failed: {out.stdout}\n{out.stderr}")
    return float(match.group(1))


def rush(env, db_url, seconds, programme_id, users):
    prepare(db_url)
    return pgbench(db_url, RUSH, clients=env.workers, seconds=seconds,
                   variables={"users": users, "programme": programme_id})


def reserve(env, db_url, seconds, vouchers, users=1000):
    """``vouchers`` = 1: every transaction on one hot row."""
    prepare(db_url, vouchers)
    return pgbench(db_url, RESERVE, clients=env.workers, seconds=seconds,
                   variables={"users": users, "vouchers": vouchers})
