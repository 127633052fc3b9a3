"""The kiosk's font: why no layout asks for bold (kiosk/ui/fonts.py)."""

from __future__ import annotations

import re

import pytest
from kivy.core.text import Label as CoreLabel

from kiosk.ui.fonts import register_default_font
from kiosk.ui.screens import KV_DIR

pytestmark = pytest.mark.ui


def pixels(text: str, *, bold: bool) -> bytes:
    label = CoreLabel(text=text, font_size=30, bold=bold)
    label.refresh()
    return bytes(label.texture.pixels)


def test_bold_draws_what_regular_draws_with_the_kiosk_font() -> None:
    # Were a bold face ever registered, `bold` would mean something again: then use it.
    register_default_font()
    text = "资格核验 Eligibility"
    assert pixels(text, bold=True) == pixels(text, bold=False)


def test_no_layout_sets_bold() -> None:
    # Each (size, bold) pair opens the font once more: ~10 ms at first use, for nothing drawn.
    layouts = [*sorted(KV_DIR.parent.glob("*.kv")), *sorted(KV_DIR.glob("*.kv"))]
    bold = [path.name for path in layouts if re.search(r"^\s*bold:", path.read_text(encoding="utf-8"), re.M)]
    assert bold == []
