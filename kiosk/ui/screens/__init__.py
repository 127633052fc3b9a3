"""One module and one .kv per screen; :func:`screen_class` gives a screen's class by its name.

A screen's module is imported when the screen is first built, not at start: only the idle screen
is up in the first frame, and the others' imports (the result screen's QR code, the what-if
form's text input) were part of the kiosk's cold start for nothing.
"""

from __future__ import annotations

import importlib
from pathlib import Path

KV_DIR = Path(__file__).resolve().parent

# Screen name -> (module under kiosk.ui.screens, class name).
SCREENS: dict[str, tuple[str, str]] = {
    "idle": ("idle", "IdleScreen"),
    "benefits": ("benefits", "BenefitsScreen"),
    "criteria": ("criteria", "CriteriaScreen"),
    "present": ("present", "PresentScreen"),
    "checking": ("checking", "CheckingScreen"),
    "result": ("result", "ResultScreen"),
    "error": ("error", "ErrorScreen"),
    "staff_pin": ("staff_pin", "StaffPinScreen"),
    "staff": ("staff", "StaffScreen"),
    "receipt_check": ("receipt_check", "ReceiptCheckScreen"),
    "what_if": ("what_if", "WhatIfScreen"),
}


def screen_class(name: str) -> type:
    """The class of the screen called `name`, its module imported on first use."""
    module, cls = SCREENS[name]
    found: type = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return found

