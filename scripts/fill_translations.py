"""Bring the catalogues up to date and fill empty zh msgstr from a JSON file of
{msgid: translation}, under a lock so that several people updating at once do not clobber
each other's entries.

Usage (from the repository root): .venv/bin/python scripts/fill_translations.py FILE.json
Afterwards, msgids still untranslated are printed; add them to the file and run it again.
"""
import fcntl
import json
import subprocess
import sys

from babel.messages.pofile import read_po, write_po

ZH = "marketplace/translations/zh/LC_MESSAGES/messages.po"


def fill(translations):
    with open(ZH, "rb") as f:
        catalog = read_po(f, locale="zh")
    filled, missing = 0, []
    for message in catalog:
        if not message.id or isinstance(message.id, (list, tuple)):
            continue
        if not message.string:
            if message.id in translations:
                message.string = translations[message.id]
                filled += 1
            else:
                missing.append(message.id)
        message.flags.discard("fuzzy")
    with open(ZH, "wb") as f:
        write_po(f, catalog, width=76, sort_output=True, ignore_obsolete=True,
                 include_previous=False)
    return filled, missing


def main(path):
    with open(path, encoding="utf-8") as f:
        translations = json.load(f)
    with open("/tmp/hongcheng-translations.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["bash", "scripts/update_translations.sh"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        filled, missing = fill(translations)
        subprocess.run([".venv/bin/pybabel", "-q", "compile", "-f", "-d",
                        "marketplace/translations"], check=True)
    print(f"zh: filled {filled}; still empty: {len(missing)}")
    for msgid in missing:
        print(json.dumps(msgid, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
