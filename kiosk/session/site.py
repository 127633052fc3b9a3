"""The site a kiosk stands in, as the screen and the session need it.

One object for everything the site decides: which benefits are offered and in what order,
whether the list is skipped, how each session starts (language, view), whether results are
read aloud, the counter tickets and slips name, the time zone. The station builds it
(kiosk/station/site.py) from the signed bundle's preset for the configured site, falling back
to the kiosk's own config for whatever the preset leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.core.catalog import translate
from kiosk.core.text import DEFAULT_LOCALE, Locale, LocalText

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class PresetState(StrEnum):
    NONE = "none"  # the config names no site: the whole catalog, the config's settings
    APPLIED = "applied"  # the policy's preset for the named site is in use
    UNKNOWN = "unknown"  # the config names a site the policy does not define: whole catalog


@dataclass(frozen=True, slots=True)
class Site:
    """What the site the kiosk stands at sets for every session: zone, counter, language, benefits."""

    time_zone: str = DEFAULT_TIME_ZONE
    counter: LocalText | None = None  # e.g. "3号窗口 / Counter 3"; None: "the staffed counter"
    elder_view: bool = False
    speak_results: bool = False
    locale: Locale = DEFAULT_LOCALE
    # The benefits offered, in order; None offers the whole catalog in its own order.
    benefits: tuple[str, ...] | None = None
    single_benefit: bool = False
    site_id: str | None = None
    name: LocalText | None = None
    preset: PresetState = PresetState.NONE

    def counter_name(self, locale: Locale | str) -> str:
        if self.counter is not None:
            return self.counter.get(locale)
        return translate("site.counter_default", locale)

    def zone(self) -> ZoneInfo:
        return zone_or_default(self.time_zone)


def zone_or_default(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)
