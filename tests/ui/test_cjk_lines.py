"""CJK line breaking without a window: closing punctuation never starts a line, opening
punctuation never ends one, Latin words and numbers stay whole, nothing is lost."""

from __future__ import annotations

import gc
import itertools
import weakref

from hypothesis import given
from hypothesis import strategies as st

from kiosk.ui.cjk_lines import CLOSING, OPENING, forget, units, wrap


def measure(text: str) -> tuple[int, int]:
    # Every character one em wide (10 px) is close enough to a CJK font for the rules.
    return len(text) * 10, 10


def test_punctuation_sticks_to_its_neighbours() -> None:
    assert units("申请（第36号）；满100小时。") == ["申", "请", "（第", "36", "号）；", "满", "100", "小", "时。"]


def test_a_number_and_a_word_are_never_split() -> None:
    lines = wrap("累计志愿服务满100小时的注册志愿者 Standard view", 90, measure).split("\n")
    assert "100" in "".join(line for line in lines if "100" in line)
    assert all("Stand" not in line or "Standard" in line for line in lines)


@given(st.text(alphabet="信用中国，。、（）《》“”满100 abc de", min_size=1, max_size=80), st.integers(3, 20))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text: str, em: int) -> None:
    lines = wrap(text, em * 10, measure).split("\n")
    for line in lines[1:]:
        assert not line or line[0] not in CLOSING
    for line in lines[:-1]:
        assert not line or line[-1] not in OPENING
    assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")


def _wrap_measuring_every_line(text: str, width: float, measure: object) -> str:
    """The plain algorithm: measure every candidate line whole (what wrap must agree with)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in units(paragraph):
            candidate = line + piece
            if line and not piece.isspace() and measure(candidate.rstrip())[0] > width:  # type: ignore[operator]
                lines.append(line.rstrip())
                line = piece.lstrip()
            elif not line and piece.isspace():
                continue
            else:
                line = candidate
        lines.append(line.rstrip())
    return "\n".join(lines)


def _kerned(text: str) -> tuple[int, int]:
    # Not additive: narrow Latin, wide CJK, and pairs that kern tighter or looser, as a real
    # font's line is not the sum of its glyphs.
    width = sum(6 if ch.isascii() else 10 for ch in text)
    kerning = {"AV": -1, "To": -1, "中国": -1, "ff": 1, "，“": 1}
    width += sum(kerning.get(a + b, 0) for a, b in itertools.pairwise(text))
    return width, 10


@given(
    st.text(alphabet="信用中国，。、（）《》“”满100 AVTo ff abc de\n", min_size=1, max_size=120),
    st.integers(20, 200),
)
def test_estimated_widths_break_where_measuring_every_line_does(text: str, width: int) -> None:
    forget()
    assert wrap(text, width, _kerned) == _wrap_measuring_every_line(text, width, _kerned)


class _Label:
    """Stands in for a Kivy core label: font options and a bound measuring method."""

    def __init__(self) -> None:
        self.options = {"font_size": 18.0, "bold": False, "font_name": "Roboto", "line_height": 1.0}
        self.measured = 0

    def get_extents(self, text: str) -> tuple[int, int]:
        self.measured += 1
        return measure(text)


def test_kept_line_breaks_keep_no_label_alive() -> None:
    # Kept as a cache key, the bound method held every label and its texture (~3.5 MB a session).
    label = _Label()
    alive = weakref.ref(label)
    wrap("信用中国 credit repair 第36号", 60, label.get_extents)
    del label
    gc.collect()
    assert alive() is None


def test_line_breaks_are_kept_until_forgotten() -> None:
    # Texts can quote a person's result: the kiosk forgets them at each session's end.
    forget()  # widths measured by earlier tests with the same font settings are kept too
    label = _Label()
    first = wrap("纳税信用等级为A，符合条件。", 60, label.get_extents)
    measured = label.measured
    assert measured > 0 and wrap("纳税信用等级为A，符合条件。", 60, label.get_extents) == first
    assert label.measured == measured
    forget()
    assert wrap("纳税信用等级为A，符合条件。", 60, label.get_extents) == first
    assert label.measured == 2 * measured


def test_widths_are_shared_between_texts_until_forgotten() -> None:
    # One label's pieces are measured once for every text in its font (the idle screen's first
    # frame breaks each text twice); what was measured goes with the session, like the breaks.
    forget()
    label = _Label()
    wrap("纳税信用等级为A，符合条件。", 60, label.get_extents)
    measured = label.measured
    wrap("纳税信用等级为A，符合条件。", 90, label.get_extents)
    assert label.measured - measured < measured / 2  # only whole lines near the width are measured
    forget()
    again = label.measured
    wrap("纳税信用等级为A，符合条件。", 90, label.get_extents)
    assert label.measured - again > measured / 2
