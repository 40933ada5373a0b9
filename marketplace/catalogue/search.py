"""Full-text search that works for Chinese, the same on PostgreSQL and SQLite.

Chinese has no spaces between words, so a word index needs a segmenter whose dictionary
decides what can be found. We index every CJK character and every pair of neighbouring
characters instead (unigrams + bigrams, as Lucene's CJK analyzer does): a query of two
or more characters becomes the bigrams it contains, all of which must occur, so 检测
finds 材料检测服务 and 知识产权 finds 知识产权代理 without any dictionary. Latin words
and numbers are indexed lower-cased, whole.

The terms are computed here, in Python, and stored as space-separated text in the
offering's ``search_title`` and ``search_body``, copied to the search table kept for the
catalogue (``catalogue_search``, marketplace/catalogue/search_table.py); each database indexes them with its own engine:
PostgreSQL as a weighted ``tsvector`` (a generated column with a GIN index, built by the
``simple`` configuration, which only splits on the spaces we put and lower-cases; in a C
locale PostgreSQL's parser also takes any non-ASCII character as a letter), SQLite as an
FTS5 table. Ranking: ``ts_rank`` with title terms weighted above body terms on PostgreSQL,
``bm25`` with the same weighting on SQLite.

On PostgreSQL the title's terms are also indexed alone (:func:`title_matches`): for a
one-term query every offering with the term in its title ranks above every offering with
it only in the body, so a page the title matches fill is found without ranking the rest.
"""
import re

from sqlalchemy import Float, Integer, and_, func, literal_column, text, true

from marketplace.core.normalise import nfkc

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Latin runs are plain alphanumerics: PostgreSQL's parser and SQLite's unicode61
# tokenizer split the same way on anything else, so both see the same terms.
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
MAX_QUERY_TERMS = 24
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0


def _runs(value):
    # NFKC first: full-width letters and digits (ＩＳＯ９００１, as a Chinese input method
    # types them) are the same terms as their half-width forms
    return _RUN.findall(nfkc(value).lower())


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


def _tsquery(terms):
    return func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))


def ranked_matches(dialect_name, terms):
    """How the search table (``catalogue_search``) matches ``terms``: ``(joined, condition,
    relevance)``, where ``joined`` is a subquery to join on ``offering_id`` (SQLite's FTS5
    table) or None, ``condition`` what a matching row satisfies, and ``relevance`` a
    higher-is-better score. Every term must occur."""
    if dialect_name == "postgresql":
        tsquery = _tsquery(terms)
        vector = literal_column("catalogue_search.search_vector")
        return None, vector.op("@@")(tsquery), func.ts_rank(vector, tsquery)
    match = " AND ".join(_quoted(t, '"') for t in terms)
    joined = (text("SELECT rowid AS offering_id, "
                   f"-bm25(catalogue_search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS relevance "
                   "FROM catalogue_search_fts WHERE catalogue_search_fts MATCH :match")
              .bindparams(match=match)
              .columns(offering_id=Integer, relevance=Float)
              .subquery("matches"))
    return joined, true(), joined.c.relevance


def title_matches(dialect_name, terms):
    """What a row of the search table whose *title* holds the query satisfies, found through
    the title's own index (``TITLE_INDEX``); None but for one term on PostgreSQL.

    Why a one-term query may look at the title's matches first: ``ts_rank`` as
    :func:`ranked_matches` calls it (default weights, no normalisation) of a query of one
    lexeme (``calc_rank_or`` in PostgreSQL's tsrank.c) takes the lexeme's positions in
    order, their weights w_j (A 1.0 for the title's, D 0.1 for the body's) and the first
    of the highest weight, at index m, and returns
    (w_m + sum_j w_j / j**2 - w_m / m**2) / (pi**2 / 6). With an A position that is at
    least 1 / (pi**2 / 6) = 0.6079, however often or late the term occurs; with D positions
    only it is 0.1 * sum_j 1 / j**2 / (pi**2 / 6) < 0.1, however many there are (at most
    256 are kept). A title match keeps an A position in ``search_vector``: ``||`` puts the
    title's (left) positions first and always copies the first of them. So every title
    match ranks above every body-only match (0.6079 against below 0.1, far beyond float4
    rounding), and the title matches, ranked by the same ``ts_rank``, begin the whole.
    tests/integration/catalogue/test_search_title_first.py checks this on the server.

    The condition holds only when the query is one lexeme (``numnode`` 1): one term is
    not always one (``1e5abc`` parses as ``'1e5' & 'abc'``, ranked by ``calc_rank_and``,
    where a body match can outrank a title match), and a query of none matches nothing."""
    if dialect_name != "postgresql" or len(terms) != 1:
        return None
    tsquery = _tsquery(terms)
    title = func.to_tsvector(literal_column("'simple'::regconfig"),
                             literal_column("catalogue_search.search_title"))
    return and_(title.op("@@")(tsquery), func.numnode(tsquery) == 1)


# --- the schema objects each database needs (used by the migration) --------------------

PG_VECTOR = ("setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
             "setweight(to_tsvector('simple'::regconfig, search_body), 'D')")

# The tables indexed so, with their key: the search table kept for the search, and the
# offerings (made by the first migration and dropped by d5f1a7c3e9b2, once nothing read
# it: those migrations still name it).
INDEXED = {"offerings": "id", "catalogue_search": "offering_id"}


def sqlite_fts(table, key):
    fts = f"{table}_fts"
    return (
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_title, search_body, "
        f"content='{table}', content_rowid='{key}', tokenize='unicode61')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_title, search_body) "
        f"VALUES (new.{key}, new.search_title, new.search_body); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_title, search_body) "
        f"VALUES ('delete', old.{key}, old.search_title, old.search_body); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_title, search_body "
        f"ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_title, search_body) "
        f"VALUES ('delete', old.{key}, old.search_title, old.search_body); "
        f"INSERT INTO {fts}(rowid, search_title, search_body) "
        f"VALUES (new.{key}, new.search_title, new.search_body); END",
    )


def _key_of(table):
    """Only the tables above: their names go into DDL."""
    if table not in INDEXED:
        raise ValueError(f"no full-text index is made for {table!r}")
    return INDEXED[table]


def create_search_index(op, table="offerings"):
    key = _key_of(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector "
                   f"tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} "
                   "USING gin (search_vector)")
    else:
        for statement in sqlite_fts(table, key):
            op.execute(statement)


def drop_search_index(op, table="offerings"):
    _key_of(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{name}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")


# The title's terms alone, for title_matches: an index on the expression (the same as the
# query's, or PostgreSQL will not use it) rather than a stored column, so that the rows,
# which the ranking reads, are no wider. Without fastupdate: rows written since the last
# vacuum would wait in the index's pending list, which a scan reads through whole; after a
# rebuild of the table PostgreSQL then chose to compute to_tsvector for every row instead
# (60 ms, not 4). SQLite has no such index (and no such query).
TITLE_INDEX = "ix_catalogue_search_title_vector"
_CREATE_TITLE_INDEX = ("CREATE INDEX ix_catalogue_search_title_vector ON catalogue_search "
                       "USING gin (to_tsvector('simple'::regconfig, search_title)) "
                       "WITH (fastupdate = off)")
_DROP_TITLE_INDEX = "DROP INDEX IF EXISTS ix_catalogue_search_title_vector"


def create_title_index(op):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE_TITLE_INDEX)


def drop_title_index(op):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP_TITLE_INDEX)


def is_search_index_object(name):
    """Schema objects the migrations make by hand, which autogenerate must not drop."""
    return bool(name) and (name in ("search_vector", TITLE_INDEX) or any(
        name.startswith(f"{table}_fts") or name == f"ix_{table}_search_vector"
        for table in INDEXED))


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook: leave the hand-made search objects alone."""
    return not (reflected and compare_to is None and is_search_index_object(name))
