"""One module and one .kv per screen; SCREENS maps screen names to their classes."""

from __future__ import annotations

from pathlib import Path

KV_DIR = Path(__file__).resolve().parent


def screen_classes() -> dict[str, type]:
    from kiosk.ui.screens.benefits import BenefitsScreen
    from kiosk.ui.screens.checking import CheckingScreen
    from kiosk.ui.screens.criteria import CriteriaScreen
    from kiosk.ui.screens.error import ErrorScreen
    from kiosk.ui.screens.idle import IdleScreen
    from kiosk.ui.screens.present import PresentScreen
    from kiosk.ui.screens.receipt_check import ReceiptCheckScreen
    from kiosk.ui.screens.result import ResultScreen
    from kiosk.ui.screens.staff import StaffScreen
    from kiosk.ui.screens.staff_pin import StaffPinScreen
    from kiosk.ui.screens.what_if import WhatIfScreen

    return {
        "idle": IdleScreen,
        "benefits": BenefitsScreen,
        "criteria": CriteriaScreen,
        "present": PresentScreen,
        "checking": CheckingScreen,
        "result": ResultScreen,
        "error": ErrorScreen,
        "staff_pin": StaffPinScreen,
        "staff": StaffScreen,
        "receipt_check": ReceiptCheckScreen,
        "what_if": WhatIfScreen,
    }
