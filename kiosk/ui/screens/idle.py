"""Attract screen: what the kiosk does, what it sends and keeps (nothing), language, start."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen


class IdleScreen(KioskScreen):
    pass
