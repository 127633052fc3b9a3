"""The one place a kiosk's Site is decided: the signed preset first, the local config after.

The config names a site (``site = "rental-hall"``); the policy it decides with (the signed
bundle, or before the first sync the policy shipped with the software) may define that site.
Whatever the preset sets wins; whatever it leaves out comes from the config (locale,
elder_view, speak_results, counter_name), and the time zone is always the config's. A site
the policy does not define offers the whole catalog with the config's settings, and says so
to staff (PresetState.UNKNOWN).
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.core.benefits import Catalog
from kiosk.session.site import PresetState, Site
from kiosk.station.config import KioskConfig


def resolve_site(config: KioskConfig, catalog: Catalog) -> Site:
    local = Site(
        time_zone=config.time_zone,
        counter=config.counter_name,
        elder_view=config.elder_view,
        speak_results=config.speak_results,
        locale=config.locale,
        site_id=config.site,
    )
    if config.site is None:
        return local
    preset = catalog.site(config.site)
    if preset is None:
        return replace(local, preset=PresetState.UNKNOWN)
    return Site(
        time_zone=local.time_zone,
        counter=preset.counter_name if preset.counter_name is not None else local.counter,
        elder_view=preset.elder_view if preset.elder_view is not None else local.elder_view,
        speak_results=preset.speak_results if preset.speak_results is not None else local.speak_results,
        locale=preset.locale if preset.locale is not None else local.locale,
        benefits=preset.benefits,
        single_benefit=preset.single_benefit,
        site_id=preset.id,
        name=preset.name,
        preset=PresetState.APPLIED,
    )
