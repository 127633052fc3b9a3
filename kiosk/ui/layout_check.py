"""What a layout must never do, checked on the real widgets after Kivy has laid them out.

A label whose text is wider or taller than the label (clipped), a word broken mid-word
("Stand/ard view", "长辈模/式"), a line starting with closing punctuation, a target under
60x60 dp in the large view, a result whose first screen lacks the outcome and the summary,
paragraph lines longer than one reading column, two columns that are not side by side.
`kiosk screenshots --check` runs it on every screen it renders; tests/ui uses the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kivy.metrics import dp
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

CLOSING = "，。、；：？！）》」』”’,.;:?!)"
_LATIN = re.compile(r"[A-Za-z0-9]")
_SLACK = 2.0  # pixels: rounding in texture sizes


def _visible(widget: Widget) -> bool:
    node: Any = widget
    while node is not None and isinstance(node, Widget):
        if node.opacity <= 0 or node.width <= 0 or node.height <= 0:
            return False
        node = node.parent
    return True


def _lines(label: Label) -> list[str]:
    core = getattr(label, "_label", None)
    cached = getattr(core, "_cached_lines", None) or []
    return ["".join(word.text for word in line.words) for line in cached]


def _labels(root: Widget) -> Iterator[Label]:
    for widget in root.walk(restrict=True):
        if isinstance(widget, Label) and widget.text and _visible(widget):
            yield widget


def label_problems(label: Label, where: str) -> list[str]:
    found: list[str] = []
    text = label.text
    tw, th = label.texture_size
    short = text[:24].replace("\n", " ")
    if tw > label.width + _SLACK:
        found.append(f"{where}: {short!r} is {tw:.0f} px wide in a {label.width:.0f} px label")
    if th > label.height + _SLACK:
        found.append(f"{where}: {short!r} is {th:.0f} px tall in a {label.height:.0f} px label")
    lines = [line for line in _lines(label) if line]
    position = 0
    for number, line in enumerate(lines):
        start = text.find(line, position)
        if start < 0:
            break  # markup or a transformed text: positions cannot be followed
        end = start + len(line)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        # A wrap at a space drops the space; a wrap inside a word leaves letters on both sides.
        if following and end < len(text) and _LATIN.fullmatch(text[end]) and _LATIN.fullmatch(line[-1:]):
            found.append(f"{where}: {short!r} breaks a word: {line[-8:]!r} / {following[:8]!r}")
        if number > 0 and line[:1] in CLOSING:
            found.append(f"{where}: {short!r} starts a line with {line[:1]!r}")
        position = end
    if len(lines) > 1 and isinstance(label, Button) and " " not in text.strip() and len(text) <= 10:
        found.append(f"{where}: button {short!r} wraps inside a word: {' / '.join(lines)}")
    return found


def target_problems(root: Widget, where: str, minimum_dp: float = 60) -> list[str]:
    from kiosk.ui.widgets import TappableCard

    found = []
    for widget in root.walk(restrict=True):
        target = isinstance(widget, Button | TappableCard) and not widget.disabled and _visible(widget)
        if target and (widget.width < dp(minimum_dp) - 0.5 or widget.height < dp(minimum_dp) - 0.5):
            found.append(f"{where}: target {getattr(widget, 'text', '')[:20]!r} is "
                         f"{widget.width:.0f}x{widget.height:.0f} px, under {minimum_dp} dp")
    return found


def on_first_screen(widget: Widget) -> bool:
    """Is the whole widget inside its scroll view's viewport (and the view at its top)?"""
    node: Any = widget.parent
    while node is not None and not isinstance(node, ScrollView):
        node = node.parent
    if node is None:
        return True
    _, bottom = widget.to_window(widget.x, widget.y)
    _, top = widget.to_window(widget.x, widget.top)
    _, view_bottom = node.to_window(node.x, node.y)
    _, view_top = node.to_window(node.x, node.top)
    return bottom >= view_bottom - _SLACK and top <= view_top + _SLACK


def line_problems(label: Label, where: str, max_line: float) -> list[str]:
    """A paragraph whose lines run longer than one reading column (~38 CJK characters)."""
    lines = [line for line in _lines(label) if line]
    if len(lines) > 1 and label.texture_size[0] > max_line + _SLACK:
        short = label.text[:24].replace("\n", " ")
        return [f"{where}: {short!r} has lines {label.texture_size[0]:.0f} px long, over the "
                f"{max_line:.0f} px reading column"]
    return []


def column_problems(screen: Widget, where: str) -> list[str]:
    """Two columns: the summary and the first criterion side by side, both at the top."""
    ids = getattr(screen, "ids", {})
    if getattr(screen, "columns", 1) != 2 or "summary" not in ids or "criteria" not in ids:
        return []
    summary, criteria = ids["summary"], ids["criteria"]
    if criteria.x < summary.right or not on_first_screen(criteria.children[-1] if criteria.children else criteria):
        return [f"{where}: two columns, but the criteria are not beside the summary"]
    return []


def _inside(widget: Widget, box: Widget) -> bool:
    x, y = widget.to_window(widget.x, widget.y)
    left, bottom = box.to_window(box.x, box.y)
    return bool(
        left - _SLACK <= x and x + widget.width <= left + box.width + _SLACK
        and bottom - _SLACK <= y and y + widget.height <= bottom + box.height + _SLACK
    )


def receipt_problems(screen: Widget, where: str) -> list[str]:
    """The receipt's QR, the reference and the times drawn inside their one card (a card moved
    between columns must take all of its content with it)."""
    ids = getattr(screen, "ids", {})
    if "reference_card" not in ids:
        return []
    card = ids["reference_card"]
    parts = ["reference", "times"] + (["qr"] if getattr(screen, "qr_side", 0) else [])
    outside = [name for name in parts if not _inside(ids[name], card)]
    return [f"{where}: the result's {', '.join(outside)} drawn outside the reference card"] if outside else []


def screen_problems(screen: Widget, where: str, *, elder: bool, max_line: float | None = None) -> list[str]:
    found: list[str] = []
    for label in _labels(screen):
        found += label_problems(label, where)
        if max_line is not None and not isinstance(label, Button):
            found += line_problems(label, where, max_line)
    found += column_problems(screen, where)
    found += receipt_problems(screen, where)
    if elder:
        found += target_problems(screen, where)
    ids = getattr(screen, "ids", {})
    if getattr(screen, "name", "") == "result" and "summary" in ids:
        for name in ("outcome", "outcome_icon", "summary"):
            if not on_first_screen(ids[name]):
                found.append(f"{where}: the result's {name} is not on the first screen")
    return found
