"""Every person-facing sentence: gettext .po catalogs for zh_CN and en, read with Babel.

Message ids are stable keys (``idle.title``, ``error.scan.too_long``), not English sentences,
so the English text can be edited like any other translation and a key missing in either
language is found by a test, not by a person at the kiosk. The catalogs are package data of
the core, so the core's own errors, the command line and the screens read the same words.
Only .po files are kept in the tree; nothing is compiled to .mo.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.messages.pofile import read_po

from kiosk.core.text import LOCALES, Locale, LocalText

DOMAIN = "kiosk"
# An installed wheel is plain files (pip never installs it zipped), so this is a real folder.
CATALOG_DIR = Path(str(resources.files("kiosk.core").joinpath("catalogs")))
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


def message(key: str, **params: Any) -> LocalText:
    """Both languages of one catalog entry: what errors, the flow and the command line carry."""
    return LocalText(translate(key, "zh-CN", **params), translate(key, "en", **params))


def keys(locale: Locale) -> frozenset[str]:
    return frozenset(messages(locale))


__all__ = ["CATALOG_DIR", "LOCALES", "keys", "message", "messages", "po_path", "translate"]
