"""One vocabulary on every page: each page of the access matrix, opened in Chinese and in
English by a role that may see it, on a world with data in its lists, must show

- no raw code: no enum value or service-category code (``testing``, ``rnd_design``,
  ``final_approval``) as text where its label belongs (marketplace/core/labels.py);
- nothing untranslated: on a zh page no English beyond the proper nouns and codes of
  ALLOWED_LATIN, and no msgid of the catalogue shown as it is;
- no refused word of the glossary (marketplace/core/glossary.py): 科创券, never 创新券.

The pages come from the matrix (tests/integration/test_access_matrix.py and
access_rows/), so a new page is scanned as soon as it has its rows.
"""
import re
from collections import Counter
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from marketplace.agencies.models import ServiceCategory
from marketplace.core.glossary import rejected_terms
from marketplace.extensions import db
from tests.integration.access_rows import ROW_MODULES
from tests.integration.security.forms_walker import (get_pages, owner_module, page_url,
                                                     signed_in_client)
from tests.integration.test_access_matrix import add_vouchers, world  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh", "en")

# Latin words a Chinese page may show besides codes and abbreviations in capitals (see
# CODE_LIKE): product and protocol names, units.
ALLOWED_LATIN = {"stripe", "openapi", "swagger", "bearer", "authorization", "kib", "mib",
                 "gib", "json", "pdf", "csv", "xlsx", "qr", "paymentintent"}
# Words a file's import format asks for literally (column names and values of a CSV),
# written on the page that explains the format.
FORMAT_WORDS = {
    "/admin/calendar": {"date", "working", "name_zh", "name_en", "holiday", "workday"},
}
# Data the world's factories and the matrix's world type in English: people's names, file
# names, e-mail addresses, token names, a reviewer's comment.
DATA_PATTERNS = [
    re.compile(p) for p in (
        r"[\w.+-]+@[\w.-]+",                  # e-mail addresses
        r"[\w-]+\.(?:pdf|csv|xlsx|png|jpg|txt)\b",   # file names
        r"https?://\S+", r"(?<![\w])/[\w/<>.-]+",   # addresses
        r"User \d+", r"Programme \d+",         # factory names
        r"\b[a-z_]+ token\b",                   # the matrix's API token names
        r"Please name the services you plan to buy\.",
        r"Please add the supplier's quotation\.",
        r"\bflask(?: -*[a-z][a-z-]*)+",          # a command an administrator is told to run
    )]
# Codes and abbreviations: anything with a digit (AR-00003, GR0000077Jte, SHA-256, TRL 6) and
# words in capitals (CMA, PNG, YYYY-MM-DD)
CODE_LIKE = re.compile(r"[A-Za-z0-9.-]*\d[A-Za-z0-9.-]*"
                       r"|(?<![A-Za-z])[A-Z][A-Z-]*[A-Z](?![A-Za-z])")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
CJK = re.compile(r"[\u4e00-\u9fff]")
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp", "pre", "textarea"}
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """The text a person reads (and hears): text nodes outside scripts and code, the
    visible attributes, the labels of buttons; each with its tag and the language it is
    marked as on purpose (``lang="en"``: an English name beside the Chinese one;
    ``lang="zh-CN"``: a file's Chinese column name on the English page)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self._stack = [], []    # stack of (tag, skipped, language)

    def _state(self):
        return self._stack[-1][1:] if self._stack else (False, "")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped, language = self._state()
        skipped = skipped or tag in SKIPPED_TAGS or attrs.get("translate") == "no"
        language = (attrs.get("lang") or language)[:2]
        for name in SHOWN_ATTRIBUTES:
            if attrs.get(name) and not skipped:
                self.texts.append((f"{tag}@{name}", attrs[name], language))
        if tag == "input" and (attrs.get("type") or "").lower() in ("submit", "button") \
                and attrs.get("value"):
            self.texts.append(("input@value", attrs["value"], language))
        if tag not in self.VOID:
            self._stack.append((tag, skipped, language))

    def handle_endtag(self, tag):
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break

    def handle_data(self, data):
        text = " ".join(data.split())
        skipped, language = self._state()
        if text and not skipped:
            self.texts.append((self._stack[-1][0] if self._stack else "", text, language))


def visible_texts(html):
    parser = _VisibleText()
    parser.feed(html)
    return parser.texts


@lru_cache(maxsize=None)
def _catalogue(locale):
    with open(ROOT / f"marketplace/translations/{locale}/LC_MESSAGES/messages.po", "rb") as f:
        return [m for m in read_po(f, locale=locale)
                if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string]


@lru_cache(maxsize=None)
def untranslated_msgids():
    """The zh catalogue's msgids whose translation differs: shown as they are, they are
    untranslated. Single words are left to the Latin check (they may be names)."""
    return frozenset(m.id for m in _catalogue("zh")
                     if m.string != m.id and len(m.id.split()) > 1)


@lru_cache(maxsize=None)
def chinese_ui_texts():
    """The zh catalogue's translations (in Chinese, and not also a proper noun kept the
    same in English): on an English page they are text left in the other language."""
    return frozenset(m.string for m in _catalogue("zh")
                     if m.string != m.id and CJK.search(m.string))


@lru_cache(maxsize=None)
def catalogue_texts(locale):
    return frozenset(m.string for m in _catalogue(locale))


def raw_codes(locale):
    """The values of the enums stored in the database and the service-category codes
    that, shown as they are, are not what the ``locale`` page should say: every one on a
    zh page; on an en page those that are no English text of the catalogue (the label of
    ``submitted`` is "submitted")."""
    codes = set()
    for mapper in db.Model.registry.mappers:
        for column in mapper.columns:
            enum_class = getattr(column.type, "enum_class", None)
            if enum_class is not None:
                codes.update(str(getattr(v, "value", v)) for v in enum_class)
    codes.update(db.session.scalars(sa.select(ServiceCategory.code)))
    db.session.rollback()
    codes = {code for code in codes if re.fullmatch(r"[a-z][a-z0-9_]*", code)}
    if locale == "zh":
        return codes
    return codes - catalogue_texts("en")


def _strip_data(text):
    for pattern in DATA_PATTERNS:
        text = pattern.sub(" ", text)
    return text


def page_problems(html, locale, codes, format_words=frozenset()):
    problems = []
    for tag, text, marked in visible_texts(html):
        where = f"<{tag}> {text[:80]!r}"
        for finding in rejected_terms(text, locale):
            problems.append(f"refused term {finding.found!r} ({finding.term.key}: say "
                            f"{getattr(finding.term, locale)!r}) in {where}")
        plain = _strip_data(text)
        for word in format_words:
            plain = re.sub(rf"\b{word}\b", " ", plain)
        snake = [w for w in SNAKE_CASE.findall(plain) if w not in format_words]
        if snake:
            problems.append(f"raw code {snake[0]!r} in {where}")
        elif plain.strip() in codes:
            problems.append(f"raw code {plain.strip()!r} in {where}")
        if locale == "en":
            if marked != "zh" and text in chinese_ui_texts():
                problems.append(f"Chinese text of the catalogue on an English page in {where}")
            continue
        if marked == "en":
            continue
        if text in untranslated_msgids():
            problems.append(f"untranslated msgid in {where}")
            continue
        english = [w for w in LATIN_RUN.findall(CODE_LIKE.sub(" ", plain))
                   if w.lower() not in ALLOWED_LATIN and w not in format_words
                   and not SNAKE_CASE.fullmatch(w)]
        if english:
            problems.append(f"English {' '.join(english[:6])!r} in {where}")
    return problems


# Pages that are a different page for each role (the home: a firm's next steps, a
# reviewer's queue, an agency's payable): visited as every role that may see them.
EVERY_ROLE = {"site.home", "notifications.inbox", "accounts.profile"}


def _pages_and_roles(app, rows):
    """Each page of the group ``rows`` (the foundation's when None) with the first role of
    ROLES that may see it, or every such role for the pages of EVERY_ROLE. (Every role on
    every page found nothing more in 826 page views, and took three times as long.)"""
    found = {}
    for endpoint, variant, role in get_pages(app):
        if owner_module(app, endpoint) is not rows:
            continue
        if endpoint in EVERY_ROLE:
            found[(endpoint, variant, role)] = role
        else:
            found.setdefault((endpoint, variant, None), role)
    return sorted((((endpoint, variant), role) for (endpoint, variant, _r), role
                   in found.items()), key=lambda item: (item[0][0], str(item[0][1]), item[1]))


def _fill_the_inboxes(built):
    """Notices in every inbox (the world's own are dropped with the outbox): one whose
    param is a code (a claim's stage), one naming money."""
    from marketplace.notifications.services import notify
    for user in built.users.values():
        notify(user, "claim_overdue", link="/claims/1", email=False, claim=1,
               stage="final_approval", due_on="2026-10-09")
        notify(user, "claim_disbursed", link="/claims/1", email=False, claim=1,
               amount="¥100,000.00")


def _set_locale(client, locale):
    with client.session_transaction() as session:
        session["locale"] = locale


FIGURES = Counter()
EMPTY_PAGES = []     # lists the world leaves empty, printed to see what the scan misses
# The row modules build their objects for the same users (one agency profile each), so
# each group of pages gets a world of its own, as the forms test does.
GROUPS = [None] + list(ROW_MODULES)


@pytest.mark.parametrize("rows", GROUPS, ids=lambda rows: rows.__name__.rsplit(".", 1)[-1]
                         if rows else "foundation")
def test_every_page_speaks_the_glossary_in_both_languages(app, world, rows):  # noqa: F811
    add_vouchers(world)
    if rows is not None:
        rows.build(world)
    else:
        _fill_the_inboxes(world)
    db.session.commit()
    pages = _pages_and_roles(app, rows)
    codes = {locale: raw_codes(locale) for locale in LOCALES}
    # every URL first: filling one builds the objects it names, so the lists visited
    # afterwards show them all
    urls = []
    for (endpoint, variant), role in pages:
        try:
            urls.append((page_url(app, world, endpoint, variant, role), role))
        except (KeyError, LookupError):
            continue
    db.session.commit()
    clients, problems = {}, []
    for url, role in urls:
        client = clients.get(role) or clients.setdefault(
            role, signed_in_client(app, world, role))
        for locale in LOCALES:
            _set_locale(client, locale)
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            FIGURES[locale] += 1
            body = response.get_data(as_text=True)
            if locale == "zh" and 'class="empty-state' in body:
                EMPTY_PAGES.append(f"{url} as {role}")
            problems += [f"{url} [{locale}, {role}] {problem}" for problem in page_problems(
                body, locale, codes[locale], FORMAT_WORDS.get(url, frozenset()))]
    print(f"\nvocabulary [{rows.__name__ if rows else 'foundation'}]: {len(pages)} pages; so "
          f"far {FIGURES['zh']} zh and {FIGURES['en']} en page views; {len(EMPTY_PAGES)} "
          f"show an empty list: {', '.join(EMPTY_PAGES[-10:])}")
    assert not problems, "\n".join(sorted(set(problems)))


# --- the scan itself catches what it is for ----------------------------------------------

@pytest.mark.parametrize("html, locale, expected", [
    ("<p>请使用创新券</p>", "zh", "refused term '创新券'"),
    ("<td>状态：submitted</td>", "zh", "English 'submitted'"),
    ("<td>testing</td>", "zh", "raw code 'testing'"),
    ("<td>rnd_design</td>", "en", "raw code 'rnd_design'"),
    ("<span class='badge'>final_approval</span>", "en", "raw code 'final_approval'"),
    ("<button>Go there now</button>", "zh", "English 'Go there now'"),
    ("<p>The programme does not cover this service category.</p>", "zh",
     "untranslated msgid"),
    ("<input type='text' placeholder='Search offerings'>", "zh", "English 'Search offerings'"),
    ("<p>主管将在申领中看到</p>", "zh", "refused term '主管'"),
    ("<span>已提交</span>", "en", "Chinese text of the catalogue"),
])
def test_the_scan_finds(html, locale, expected):
    problems = page_problems(html, locale, {"testing", "rnd_design", "final_approval"})
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize("html", [
    "<p>洪城科创券 · 兑付申请 · 复核员</p>",
    "<td lang='en'>Donghu District</td>",
    "<p>发票号码 AR-00003，按 AR00003 比对；证书 GR0000077Jte；TRL 6；检测报告（CMA盖章）</p>",
    "<code>rnd_design</code>",
    "<script>var status = 'final_approval';</script>",
    "<p>user1@example.com · licence.pdf</p>",
])
def test_the_scan_lets_pass(html):
    assert page_problems(html, "zh", {"testing", "rnd_design", "final_approval"}) == []


def test_the_scan_lets_a_chinese_column_name_pass_on_an_english_page_when_marked():
    assert page_problems('<td lang="zh-CN">合同编号</td>', "en", set()) == []
    assert page_problems("<td>合同编号</td>", "en", set()) != []


# --- notices and mails -------------------------------------------------------------------

class _AnyParams(dict):
    """Every param a template names, as a plain number (fits %s and %d alike)."""

    def __missing__(self, key):
        return 7


@pytest.mark.parametrize("locale", LOCALES)
def test_every_notice_and_mail_reads_in_the_glossarys_words(app, locale):
    from flask_babel import force_locale

    from marketplace.notifications.messages import MAIL_TEMPLATES, NOTIFICATION_TEMPLATES
    problems = []
    with app.test_request_context(), force_locale(locale):
        for templates in (NOTIFICATION_TEMPLATES, MAIL_TEMPLATES):
            for kind, (subject, body) in templates.items():
                for text in (str(subject) % _AnyParams(), str(body) % _AnyParams()):
                    problems += [f"{kind} [{locale}]: {problem}"
                                 for problem in page_problems(
                                     f"<p>{escape(text)}</p>", locale, set())]
    assert len(NOTIFICATION_TEMPLATES) > 50
    assert not problems, "\n".join(problems)


def test_an_overdue_claims_notice_names_its_stage_not_the_code(app):
    from flask_babel import force_locale

    from marketplace.notifications.messages import NOTIFICATION_TEMPLATES, render
    with app.test_request_context():
        for locale in LOCALES:
            with force_locale(locale):
                subject, body = render(NOTIFICATION_TEMPLATES, "claim_overdue", {
                    "claim": 3, "stage": "final_approval", "due_on": "2026-10-09"})
            assert "final_approval" not in subject + body
            assert ("复核" if locale == "zh" else "final approval") in body, body


# --- error pages ------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_the_error_pages_speak_the_glossary(client, locale):
    from tests.conftest import login
    from tests.factories import FirmMemberFactory

    member = FirmMemberFactory()
    db.session.commit()
    login(client, member.email)
    _set_locale(client, locale)
    codes = raw_codes(locale)
    problems = []
    for path, status in (("/no-such-page", 404), ("/admin/users", 403),
                         ("/claims/987654", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        problems += [f"{path} [{locale}] {problem}" for problem in page_problems(
            response.get_data(as_text=True), locale, codes)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale, name", [("zh", "新材料及其应用"),
                                          ("en", "New materials and their applications")])
def test_a_commissioners_application_notice_names_the_field_not_its_code(app, locale, name):
    from marketplace.commissioners.tasks import tell_about_application
    from marketplace.notifications.models import Notification
    from marketplace.notifications.services import rendered
    from tests.factories import AgencyMemberFactory
    from tests.integration.commissioners.builders import applied

    commissioner = applied(AgencyMemberFactory(locale=locale))
    db.session.flush()
    tell_about_application(commissioner.id)
    notice = db.session.query(Notification).filter_by(kind="commissioner_submitted").one()
    _subject, body = rendered(notice, locale)
    assert name in body and "new_materials" not in body, body
