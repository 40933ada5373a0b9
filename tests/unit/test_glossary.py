"""The glossary (marketplace/core/glossary.py) holds the catalogues and the source: no
refused word in any translation, template, mail or export text, and each glossary term's
own message translated by its chosen word.

Reads files only: no application, no database (the pages are scanned by
tests/integration/test_vocabulary.py).
"""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from marketplace.core.glossary import GLOSSARY, TERMS, rejected_terms

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
GLOSSARY_FILE = ROOT / "marketplace" / "core" / "glossary.py"
SOURCES = ("templates", "marketplace")
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".csv", ".json", ".md"}


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture of the same name: these tests need no database."""
    yield


def load(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def strings(message):
    return list(message.string) if isinstance(message.string, (list, tuple)) \
        else [message.string]


@pytest.mark.parametrize("locale", ("zh", "en"))
def test_no_translation_uses_a_refused_word(locale):
    found = [f"{message.id!r} -> {text!r}: {finding.found!r} "
             f"(say {getattr(finding.term, locale)!r})"
             for message in load(locale) if message.id
             for text in strings(message) if text
             for finding in rejected_terms(text, locale)]
    assert not found, "refused words in the catalogue:\n  " + "\n  ".join(found)


def _source_files():
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path != GLOSSARY_FILE \
                    and "translations" not in path.parts and path.is_file():
                yield path


def test_no_template_mail_or_source_text_uses_a_refused_word():
    found = []
    for path in _source_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for locale in ("zh", "en"):
            found += [f"{path.relative_to(ROOT)}: {finding.found!r} in "
                      f"{finding.context!r}" for finding in rejected_terms(text, locale)]
    assert not found, "refused words in the source:\n  " + "\n  ".join(found)


def test_each_terms_own_message_is_translated_by_its_chosen_word():
    catalog = load("zh")
    wrong, checked = [], 0
    for term in GLOSSARY:
        for msgid in {term.en, term.en[:1].upper() + term.en[1:]}:
            entry = catalog.get(msgid)
            if entry is None or not entry.string:
                continue
            checked += 1
            if entry.string not in (term.zh,) + term.also_zh:
                wrong.append(f"{msgid!r} -> {entry.string!r}, the glossary says {term.zh!r}")
    assert checked >= 5, "the catalogue names too few glossary terms: is the table right?"
    assert not wrong, "\n".join(wrong)


# The roles: every message naming them uses the chosen word (the board of supervisors of a
# company, 监事, is another thing).
ROLE_WORDS = [
    (re.compile(r"(?i)\bsupervisors?\b(?!\))"), "复核", re.compile(r"board of supervisors")),
    (re.compile(r"(?i)\bauditors?\b"), "审核", None),
    (re.compile(r"(?i)\binnovation vouchers?\b"), "科创券", None),
    (re.compile(r"(?i)\bredemption claims?\b"), "兑付申请", None),
]


def test_messages_naming_a_role_or_the_voucher_use_the_chosen_word():
    wrong = []
    for message in load("zh"):
        if not message.id or not isinstance(message.id, str) or not message.string:
            continue
        for pattern, word, exception in ROLE_WORDS:
            if pattern.search(message.id) and word not in message.string and not (
                    exception and exception.search(message.id)):
                wrong.append(f"{message.id[:70]!r} -> {message.string[:40]!r} lacks {word}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("text, locale, refused", [
    ("申请洪城创新券", "zh", "创新券"),
    ("请为该申领评分", "zh", "申领"),
    ("主管将在兑付申请中看到", "zh", "主管"),
    ("新建科创券项目", "zh", "科创券项目"),
    ("an innovation coupon", "en", "coupon"),
])
def test_the_glossary_finds_each_refused_variant(text, locale, refused):
    assert [f.found for f in rejected_terms(text, locale)] == [refused]


@pytest.mark.parametrize("text", ["申请洪城科创券", "主管部门", "复核员复核", "兑付申请"])
def test_the_chosen_words_are_not_refused(text):
    assert rejected_terms(text, "zh") == []


def test_the_issue_s_three_pairs_are_decided():
    assert (TERMS["Voucher"].zh, TERMS["Claim"].zh, TERMS["supervisor"].zh) == \
        ("科创券", "兑付申请", "复核员")
    assert TERMS["auditor"].zh == "审核员"
