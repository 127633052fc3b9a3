"""Line breaking for mixed Chinese and English text (the core rules of CLREQ / kinsoku).

A line may break between any two CJK characters and at a space, never inside a Latin word or
a number, never before closing punctuation (，。、：）》” …) and never after opening
punctuation (（《“ …). Pure: measuring is passed in, so tests need no window.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

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


def wrap(text: str, width: float, measure: Measure) -> str:
    return _wrap(text, float(width), measure)


@lru_cache(maxsize=2048)
def _wrap_cached(text: str, width: float, key: object, measure: Measure) -> str:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in units(paragraph):
            candidate = line + piece
            if line and not piece.isspace() and measure(candidate.rstrip())[0] > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            elif not line and piece.isspace():
                continue
            else:
                line = candidate
        lines.append(line.rstrip())
    return "\n".join(lines)


def _wrap(text: str, width: float, measure: Measure) -> str:
    # Measuring depends on the label's font settings; the bound method's owner carries them.
    owner = getattr(measure, "__self__", None)
    options = getattr(owner, "options", {}) if owner is not None else {}
    key = (options.get("font_size"), options.get("bold"), options.get("font_name"), options.get("line_height"))
    return _wrap_cached(text, width, key, measure)
