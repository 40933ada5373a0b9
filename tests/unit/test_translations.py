"""The zh and en catalogues cover every UI string of the source, and compile.

Reads files only: no application, no database. When a test fails, run
`scripts/update_translations.sh` from the repository root, translate the new zh entries,
then run the script again.
"""
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

try:
    from babel.messages.frontend import parse_mapping_cfg
except ImportError:  # Babel < 2.14
    from babel.messages.frontend import parse_mapping as parse_mapping_cfg

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
LOCALES = ("zh", "en")
# The keywords of `pybabel extract -k _l -k lazy_gettext` (added to Babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
HOW_TO_FIX = ("Run `scripts/update_translations.sh` from the repository root, translate the "
              "new zh entries, then run it again.")


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture of the same name: these tests need no database."""
    yield


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the source as they are now, through a temporary .pot."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))
    template = Catalog(fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with open(pot, "wb") as f:
        write_po(f, template, omit_header=True)
    with open(pot, "rb") as f:
        catalog = read_po(f)
    messages = [message for message in catalog if message.id]
    assert messages, "no message was extracted: is babel.cfg right?"
    return messages


def load(locale):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing. {HOW_TO_FIX}")
    with open(path, "rb") as f:
        return read_po(f, locale=locale, abort_invalid=True)


def strings(message):
    return list(message.string) if isinstance(message.string, (list, tuple)) \
        else [message.string]


def describe(message):
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return repr(msgid) + (f" (context {message.context!r})" if message.context else "")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_string_is_translated(extracted, locale):
    catalog = load(locale)
    missing, untranslated, fuzzy = [], [], []
    for source in extracted:
        entry = catalog.get(source.id, context=source.context)
        if entry is None:
            missing.append(describe(source))
        elif not all(strings(entry)) or len(strings(entry)) < (
                catalog.num_plurals if entry.pluralizable else 1):
            untranslated.append(describe(source))
        elif entry.fuzzy:
            fuzzy.append(describe(source))
    problems = [f"{label} ({len(items)}):\n  " + "\n  ".join(items)
                for label, items in (("not in the catalogue", missing),
                                     ("with an empty msgstr", untranslated),
                                     ("marked fuzzy", fuzzy)) if items]
    assert not problems, (f"The {locale} catalogue is out of date.\n" + "\n".join(problems)
                          + "\n" + HOW_TO_FIX)


def test_zh_keeps_every_placeholder(extracted):
    catalog = load("zh")
    wrong = []
    for source in extracted:
        entry = catalog.get(source.id, context=source.context)
        if entry is None:
            continue  # reported by test_every_source_string_is_translated
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        needed = {p for msgid in ids for p in PLACEHOLDER.findall(msgid)}
        for text in strings(entry):
            if text and not needed <= set(PLACEHOLDER.findall(text)):
                lost = sorted(needed - set(PLACEHOLDER.findall(text)))
                wrong.append(f"{describe(entry)} -> {text!r} lacks {', '.join(lost)}")
    assert not wrong, "zh translations lose placeholders:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_compiles(locale):
    catalog = load(locale)
    errors = [f"{describe(message)}: {'; '.join(map(str, errs))}"
              for message, errs in catalog.check()]
    assert not errors, f"the {locale} catalogue has errors:\n  " + "\n  ".join(errors)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    assert buffer.getvalue()


def test_zh_header():
    catalog = load("zh")
    assert str(catalog.locale) == "zh"
    assert catalog.num_plurals == 1
    assert catalog.plural_expr.strip() == "0"
