"""The kiosk's message catalogs: gettext .po files for zh_CN and en, read with Babel at start.

Message ids are stable keys (``idle.title``), not English sentences, so the English text can be
edited like any other translation and a missing entry is found by a test, not by a person at
the kiosk. Only .po files are kept in the tree; nothing is compiled to .mo.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.messages.pofile import read_po

from kiosk.core.text import LOCALES, Locale, LocalText

CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "kiosk"
_FOLDERS: dict[Locale, str] = {"zh-CN": "zh_CN", "en": "en"}


def po_path(locale: Locale) -> Path:
    return CATALOG_DIR / _FOLDERS[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def messages(locale: Locale) -> MappingProxyType[str, str]:
    """key -> translated text for one locale; entries without a translation are left out."""
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=_FOLDERS[locale], domain=DOMAIN)
    table = {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string}
    return MappingProxyType(table)


def translate(key: str, locale: Locale | str, **params: Any) -> str:
    """The text for ``key``; falls back to the other language, then to the key itself."""
    chosen: Locale = "en" if locale == "en" else "zh-CN"
    text = messages(chosen).get(key)
    if text is None:
        other: Locale = "zh-CN" if chosen == "en" else "en"
        text = messages(other).get(key, key)
    return text.format(**params) if params else text


def local_text(key: str, **params: Any) -> LocalText:
    """Both languages of one message, for places that carry LocalText (speech, the flow)."""
    return LocalText(translate(key, "zh-CN", **params), translate(key, "en", **params))


def keys(locale: Locale) -> frozenset[str]:
    return frozenset(messages(locale))


__all__ = ["CATALOG_DIR", "LOCALES", "keys", "local_text", "messages", "po_path", "translate"]
