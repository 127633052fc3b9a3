"""Bilingual text for people: every message the kiosk can show exists in zh-CN and en."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")
DEFAULT_LOCALE: Locale = "zh-CN"


def parse_locale(value: str) -> Locale:
    """Accept the spellings people and HTTP headers use ("zh_CN", "zh", "EN") for our two."""
    folded = value.strip().replace("_", "-").lower()
    if folded in ("zh-cn", "zh", "zh-hans", "zh-hans-cn"):
        return "zh-CN"
    if folded in ("en", "en-us", "en-gb"):
        return "en"
    raise ValueError(f"unsupported locale {value!r}; use one of {', '.join(LOCALES)}")


@dataclass(frozen=True, slots=True)
class LocalText:
    """One message in both languages the kiosk speaks."""

    zh: str
    en: str

    def get(self, locale: Locale | str) -> str:
        return self.en if locale == "en" else self.zh

    def format(self, **params: Any) -> LocalText:
        return LocalText(self.zh.format(**params), self.en.format(**params))

    def to_json(self) -> dict[str, str]:
        return {"zh-CN": self.zh, "en": self.en}

    @classmethod
    def from_json(cls, value: object) -> LocalText:
        """Strict: both languages present, both non-empty strings, nothing else."""
        if not isinstance(value, Mapping):
            raise ValueError("expected an object with 'zh-CN' and 'en' texts")
        mapping = cast(Mapping[str, object], value)
        extra = set(mapping) - {"zh-CN", "en"}
        if extra:
            raise ValueError(f"unexpected language(s) {sorted(extra)}")
        zh, en = mapping.get("zh-CN"), mapping.get("en")
        if not isinstance(zh, str) or not zh.strip():
            raise ValueError("missing 'zh-CN' text")
        if not isinstance(en, str) or not en.strip():
            raise ValueError("missing 'en' text")
        return cls(zh, en)
