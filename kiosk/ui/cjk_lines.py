"""Line breaking for mixed Chinese and English text (the core rules of CLREQ / kinsoku).

A line may break between any two CJK characters and at a space, never inside a Latin word or
a number, never before closing punctuation (，。、：）》” …) and never after opening
punctuation (（《“ …). Pure: measuring is passed in, so tests need no window.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CLOSING = set("，。、；：？！）》」』”’〕】…,.;:?!)%")
OPENING = set("（《「『“‘〔【(")
_UNIT = re.compile(r"\s+|[A-Za-z0-9@#&+\-_/'.,:;!?%()\[\]]+|.", re.S)

Measure = Callable[[str], tuple[int, int]]


def units(paragraph: str) -> list[str]:
    """Pieces that stay together: a Latin word or number, one CJK character, a space run;
    closing punctuation joins the piece before it, opening punctuation the piece after."""
    pieces: list[str] = []
    pending = ""
    for piece in _UNIT.findall(paragraph):
        if pieces and piece[0] in CLOSING and not pending:
            if pieces[-1].isspace() and len(pieces) > 1:
                # "word ”": the space must not become a break before the closing mark.
                pieces[-2:] = [pieces[-2] + pieces[-1]]
            pieces[-1] += piece
        elif piece in OPENING or (pending and piece.isspace()):
            pending += piece
        else:
            pieces.append(pending + piece)
            pending = ""
    if pending:
        pieces.append(pending)
    return pieces


# Line breaks already worked out, keyed by text, width and the font settings that measuring
# depends on; the value is only the broken text. The measuring function is not kept: it is a
# bound method of a Kivy core label, and keeping it (as an lru_cache key did) kept every label
# and its texture alive, ~3.5 MB per session on Mesa. Texts can quote the person's result, so
# the kiosk empties this at every session's end (KioskApp.session_ended -> forget()).
_BROKEN: dict[tuple[str, float, object], str] = {}
_MAX_BROKEN = 2048


def wrap(text: str, width: float, measure: Measure) -> str:
    width = float(width)
    # Measuring depends on the label's font settings; the bound method's owner carries them.
    owner = getattr(measure, "__self__", None)
    options = getattr(owner, "options", {}) if owner is not None else {}
    fonts = (options.get("font_size"), options.get("bold"), options.get("font_name"), options.get("line_height"))
    key = (text, width, fonts)
    broken = _BROKEN.get(key)
    if broken is None:
        # Pieces' widths are shared between texts only for a label's own measuring, whose font
        # settings say what a width depends on; anything else measures for this text alone.
        widths = _widths_for(fonts) if owner is not None else {}
        broken = _wrap(text, width, measure, widths)
        if len(_BROKEN) >= _MAX_BROKEN:
            _BROKEN.clear()
        _BROKEN[key] = broken
    return broken


# Widths of the pieces already measured, per font settings: a screen's texts share most of their
# characters, and every text is broken again when its label's width settles (in the first frame
# each label is laid out at Kivy's default width first), so measuring each piece once per text
# was ~150 glyph-extent calls of the idle screen's first frame. Pieces can be a person's words:
# forget() empties this with the line breaks.
_WIDTHS: dict[object, dict[str, float]] = {}
_MAX_WIDTHS = 4096


def _widths_for(fonts: object) -> dict[str, float]:
    widths = _WIDTHS.setdefault(fonts, {})
    if len(widths) >= _MAX_WIDTHS:
        widths.clear()
    return widths


def forget() -> None:
    """Drop every kept line break and width (at a session's end: nothing of one person reaches
    the next)."""
    _BROKEN.clear()
    _WIDTHS.clear()


# A line's width is estimated as the sum of its pieces' widths, each measured once;
# the whole line is measured only once the estimate passes this share of the width, since
# kerning and shaping can make a line a little wider or narrower than its pieces. Measuring
# every growing candidate line was ~700 glyph-extent calls per result screen (O(n²) in a
# line's length), paid in the frame that first shows the answer.
_EXACT_FROM = 0.9


def _wrap(text: str, width: float, measure: Measure, widths: dict[str, float]) -> str:
    def width_of(piece: str) -> float:
        known = widths.get(piece)
        if known is None:
            known = widths[piece] = float(measure(piece)[0])
        return known

    near = width * _EXACT_FROM
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, estimate = "", 0.0
        for piece in units(paragraph):
            if not line and piece.isspace():
                continue
            grown = estimate + width_of(piece)
            if line and not piece.isspace() and grown > near and measure((line + piece).rstrip())[0] > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
                estimate = width_of(line)
            else:
                line, estimate = line + piece, grown
        lines.append(line.rstrip())
    return "\n".join(lines)
