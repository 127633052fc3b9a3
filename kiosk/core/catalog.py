"""Every person-facing sentence: gettext .po catalogs for zh_CN and en.

Message ids are stable keys (``idle.title``, ``error.scan.too_long``), not English sentences,
so the English text can be edited like any other translation and a key missing in either
language is found by a test, not by a person at the kiosk. The catalogs are package data of
the core, so the core's own errors, the command line and the screens read the same words.
Only .po files are kept in the tree; nothing is compiled to .mo.

Babel is the tool the catalogs are written and checked with (tests/common/test_i18n.py reads
both with Babel's `read_po` and holds this module to the same table). At run time the kiosk
reads them here instead: Babel's general parser costs ~60 ms at every start of `kiosk check`,
and our catalogs use only the plain subset (no contexts, plurals or fuzzy entries).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kiosk.core.text import LOCALES, Locale, LocalText

DOMAIN = "kiosk"
# An installed wheel is plain files (pip never installs it zipped), so this is a real folder,
# found beside this module (importlib.resources would cost ~20 ms of import at every start).
CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
_FOLDERS: dict[Locale, str] = {"zh-CN": "zh_CN", "en": "en"}
# Characters a JSON string may not hold unescaped (a line break ends the line instead).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def po_path(locale: Locale) -> Path:
    return CATALOG_DIR / _FOLDERS[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def messages(locale: Locale) -> MappingProxyType[str, str]:
    """key -> translated text for one locale; entries without a translation are left out."""
    return MappingProxyType(read_catalog(po_path(locale).read_text(encoding="utf-8")))


def read_catalog(text: str) -> dict[str, str]:
    """msgid -> msgstr of a plain .po file; the header (empty msgid) and empty entries are left out.

    A quoted .po string uses the C escapes that JSON strings use (\\" \\\\ \\n \\t), so each
    quoted line is read as a JSON string; adjacent lines are concatenated as gettext does.
    """
    # Most lines hold no escape: their text is what is between the quotes, exactly what JSON
    # would read, and slicing it is a tenth of json.loads. Both catalogs are read at every
    # start (the core's errors carry their texts), so that was ~5 ms of `kiosk check`.
    plain_ok = _CONTROL.search(text) is None
    table: dict[str, str] = {}
    field: str | None = None
    parts: dict[str, list[str]] = {"msgid": [], "msgstr": []}

    def flush() -> None:
        key, value = "".join(parts["msgid"]), "".join(parts["msgstr"])
        if key and value:
            table[key] = value
        parts["msgid"].clear()
        parts["msgstr"].clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("msgid ", "msgstr ")):
            name, _, line = line.partition(" ")
            if name == "msgid" and field == "msgstr":
                flush()
            field = name
        if field is None or not line.startswith('"'):
            raise ValueError(f"line {number}: not a plain .po entry")
        plain = plain_ok and "\\" not in line and line.count('"') == 2 and line.endswith('"')
        parts[field].append(line[1:-1] if plain else json.loads(line))
    flush()
    return table


def translate(key: str, locale: Locale | str, **params: Any) -> str:
    """The text for ``key``; falls back to the other language, then to the key itself."""
    chosen: Locale = "en" if locale == "en" else "zh-CN"
    text = messages(chosen).get(key)
    if text is None:
        other: Locale = "zh-CN" if chosen == "en" else "en"
        text = messages(other).get(key, key)
    return text.format(**params) if params else text


def message(key: str, **params: Any) -> LocalText:
    """Both languages of one catalog entry: what errors, the flow and the command line carry."""
    return LocalText(translate(key, "zh-CN", **params), translate(key, "en", **params))


def keys(locale: Locale) -> frozenset[str]:
    return frozenset(messages(locale))


__all__ = ["CATALOG_DIR", "LOCALES", "keys", "message", "messages", "po_path", "translate"]
