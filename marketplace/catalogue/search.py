"""Full-text search that works for Chinese, the same on PostgreSQL and SQLite.

Chinese has no spaces between words, so a word index needs a segmenter whose dictionary
decides what can be found. We index every CJK character and every pair of neighbouring
characters instead (unigrams + bigrams, as Lucene's CJK analyzer does): a query of two
or more characters becomes the bigrams it contains, all of which must occur, so 检测
finds 材料检测服务 and 知识产权 finds 知识产权代理 without any dictionary. Latin words
and numbers are indexed lower-cased, whole.

The terms are computed here, in Python, and stored as space-separated text in
``search_title`` and ``search_body``; each database indexes them with its own engine:
PostgreSQL as a weighted ``tsvector`` (a generated column with a GIN index, built by the
``simple`` configuration, which only splits on the spaces we put and lower-cases; in a C
locale PostgreSQL's parser also takes any non-ASCII character as a letter), SQLite as an
FTS5 table. Ranking: ``ts_rank`` with title terms weighted above body terms on PostgreSQL,
``bm25`` with the same weighting on SQLite.
"""
import re

from sqlalchemy import Float, Integer, func, literal_column, select, text

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Latin runs are plain alphanumerics: PostgreSQL's parser and SQLite's unicode61
# tokenizer split the same way on anything else, so both see the same terms.
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
MAX_QUERY_TERMS = 24
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0


def _runs(value):
    return _RUN.findall((value or "").lower())


def _is_cjk(run):
    return "\u3400" <= run[0] <= "\ufaff"


def index_terms(*texts):
    """Terms to store for ``texts``: CJK unigrams and bigrams, Latin words; no repeats."""
    seen = {}
    for value in texts:
        for run in _runs(value):
            if _is_cjk(run):
                for char in run:
                    seen.setdefault(char, None)
                for start in range(len(run) - 1):
                    seen.setdefault(run[start:start + 2], None)
            else:
                seen.setdefault(run, None)
    return " ".join(seen)


def query_terms(query):
    """The terms a query requires: bigrams of each CJK run (a lone character as itself),
    Latin words as they are. Capped, so a pasted essay cannot make a huge query."""
    terms = []
    for run in _runs(query):
        if _is_cjk(run) and len(run) > 1:
            parts = [run[start:start + 2] for start in range(len(run) - 1)]
        else:
            parts = [run]
        for part in parts:
            if part not in terms:
                terms.append(part)
    return terms[:MAX_QUERY_TERMS]


def _quoted(term, quote):
    return quote + term.replace(quote, quote + quote) + quote


def ranked_matches(dialect_name, terms):
    """A subquery of (offering_id, relevance) for the offerings holding every term; a
    higher relevance is a better match."""
    if dialect_name == "postgresql":
        tsquery = func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))
        vector = literal_column("offerings.search_vector")
        return (select(literal_column("offerings.id").label("offering_id"),
                       func.ts_rank(vector, tsquery).label("relevance"))
                .select_from(text("offerings"))
                .where(vector.op("@@")(tsquery))
                .subquery("matches"))
    match = " AND ".join(_quoted(t, '"') for t in terms)
    return (text("SELECT rowid AS offering_id, "
                 f"-bm25(offerings_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS relevance "
                 "FROM offerings_fts WHERE offerings_fts MATCH :match")
            .bindparams(match=match)
            .columns(offering_id=Integer, relevance=Float)
            .subquery("matches"))


# --- the schema objects each database needs (used by the migration) --------------------

PG_VECTOR = ("setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
             "setweight(to_tsvector('simple'::regconfig, search_body), 'D')")

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE offerings_fts USING fts5(search_title, search_body, "
    "content='offerings', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER offerings_fts_insert AFTER INSERT ON offerings BEGIN "
    "INSERT INTO offerings_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "CREATE TRIGGER offerings_fts_delete AFTER DELETE ON offerings BEGIN "
    "INSERT INTO offerings_fts(offerings_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER offerings_fts_update AFTER UPDATE OF search_title, search_body "
    "ON offerings BEGIN "
    "INSERT INTO offerings_fts(offerings_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO offerings_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
)


def create_search_index(op):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE offerings ADD COLUMN search_vector tsvector "
                   f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_offerings_search_vector ON offerings "
                   "USING gin (search_vector)")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def drop_search_index(op):
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_offerings_search_vector")
        op.execute("ALTER TABLE offerings DROP COLUMN IF EXISTS search_vector")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS offerings_fts_{name}")
        op.execute("DROP TABLE IF EXISTS offerings_fts")


def is_search_index_object(name):
    """Schema objects the migration makes by hand, which autogenerate must not drop."""
    return bool(name) and (name == "search_vector" or name.startswith("offerings_fts")
                           or name == "ix_offerings_search_vector")


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook: leave the hand-made search objects alone."""
    return not (reflected and compare_to is None and is_search_index_object(name))
