"""The Chinese catalog is complete: every entry translated, none fuzzy, placeholders kept, and
the compiled .mo (what Django reads) built from the current .po."""

import ast
import gettext
import re
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")
FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) ((?:".*"\n?)+)', re.M)


def _entries() -> list[dict[str, str]]:
    entries = []
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n")[1:]:  # [0] is the header
        if block.lstrip().startswith("#~"):
            continue
        entry = {
            key: "".join(ast.literal_eval(part) for part in value.split("\n") if part)
            for key, value in FIELD.findall(block + "\n")
        }
        entry["fuzzy"] = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        entries.append(entry)
    return entries


def _translation(entry: dict) -> str:
    return entry.get("msgstr", entry.get("msgstr[0]", ""))


def test_every_entry_is_translated():
    entries = _entries()
    assert len(entries) > 300
    assert [e["msgid"] for e in entries if not _translation(e) or e["fuzzy"]] == []


def test_placeholders_survive_translation():
    broken = [
        e["msgid"]
        for e in _entries()
        if set(PLACEHOLDER.findall(_translation(e)))
        != set(PLACEHOLDER.findall(e["msgid"] + e.get("msgid_plural", "")))
    ]
    assert broken == []


def test_the_compiled_catalog_matches_the_source():
    # After editing the .po file run `make messages`: Django reads only the .mo.
    with CATALOG.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    stale = []
    for e in _entries():
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            key = (key, 0)
        if compiled.get(key) != _translation(e):
            stale.append(e["msgid"])
    assert stale == []
