#!/usr/bin/env bash
# Re-extract the UI strings and bring the zh and en catalogues up to date.
#
# Usage (from the repository root): scripts/update_translations.sh
#
# 1. extracts _(), gettext, _l() and lazy_gettext() from marketplace/**.py and
#    {{ _("...") }} from templates/**.html (babel.cfg) into messages.pot;
# 2. creates or updates marketplace/translations/{zh,en}/LC_MESSAGES/messages.po
#    (no fuzzy matching, obsolete entries dropped);
# 3. fills every empty msgstr of the en catalogue with its msgid (en is identity);
# 4. compiles every catalogue to messages.mo.
# New zh entries are left empty: translate them, then run this script again to compile.
set -euo pipefail

PYBABEL=.venv/bin/pybabel
PYTHON=.venv/bin/python
TRANSLATIONS=marketplace/translations
POT="$TRANSLATIONS/messages.pot"

if [[ ! -f babel.cfg || ! -x "$PYBABEL" ]]; then
    echo "run this from the repository root (needs babel.cfg and $PYBABEL)" >&2
    exit 1
fi

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
    -o "$POT" .

for lang in zh en; do
    if [[ -f "$TRANSLATIONS/$lang/LC_MESSAGES/messages.po" ]]; then
        "$PYBABEL" update --no-fuzzy-matching --ignore-obsolete \
            -i "$POT" -d "$TRANSLATIONS" -l "$lang"
    else
        "$PYBABEL" init -i "$POT" -d "$TRANSLATIONS" -l "$lang"
    fi
done

"$PYTHON" - "$TRANSLATIONS/en/LC_MESSAGES/messages.po" <<'PY'
"""Fill every empty msgstr of the en catalogue with its msgid (English is identity)."""
import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as f:
    catalog = read_po(f, locale="en")

filled = 0
for message in catalog:
    if not message.id:
        continue  # the header
    if isinstance(message.id, (list, tuple)):
        singular, plural = message.id[0], message.id[1]
        strings = list(message.string) if isinstance(message.string, (list, tuple)) \
            else [message.string]
        strings += [""] * (catalog.num_plurals - len(strings))
        if not strings[0]:
            strings[0] = singular
            filled += 1
        for i in range(1, len(strings)):
            if not strings[i]:
                strings[i] = plural
        message.string = tuple(strings)
    elif not message.string:
        message.string = message.id
        filled += 1
    message.flags.discard("fuzzy")

with open(path, "wb") as f:
    write_po(f, catalog, width=76, omit_header=False, ignore_obsolete=True,
             include_previous=False)
print(f"en: filled {filled} empty msgstr with the msgid")
PY

"$PYBABEL" compile -f -d "$TRANSLATIONS"
