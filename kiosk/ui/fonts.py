"""The Simplified-Chinese font: Kivy's default (Roboto) has no CJK glyphs and draws boxes.

Noto Sans SC comes from the pylopdf-fonts-zh-cn wheel (OFL-1.1; a single-face .otf, since the
sdl2 text provider always opens face 0 of a .ttc). It also covers Latin, so it becomes the
default font for every label.

It has no bold face, and Kivy draws `bold: True` with it pixel for pixel as regular text, yet
opens the font once more for it at every size (~10 ms each, paid in the frame that first shows
it). So no .kv sets `bold`: headings stand out by size and colour (tests/ui/test_ui_fonts.py).
"""

from __future__ import annotations

import os
from pathlib import Path

FONT_ENV = "XINYI_FONT"


class FontMissing(RuntimeError):
    pass


def cjk_font_path() -> Path:
    """$XINYI_FONT if set, else Noto Sans SC from the pylopdf-fonts-zh-cn package."""
    override = os.environ.get(FONT_ENV)
    if override:
        path = Path(override)
    else:
        try:
            import pylopdf_fonts_zh_cn
        except ImportError:
            raise FontMissing("pylopdf-fonts-zh-cn is not installed and XINYI_FONT is not set") from None
        path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise FontMissing(f"font file {path} does not exist")
    return path


def register_default_font() -> Path:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = cjk_font_path()
    LabelBase.register(DEFAULT_FONT, str(path))
    return path
