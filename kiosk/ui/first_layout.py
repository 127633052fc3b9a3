"""Every widget's width settled before the first frame lays its text out.

Kivy lays a tree out one level per clock trigger, and a label's texture trigger is scheduled when
its text is set, before any layout has run. So in the idle screen's first frame every label was
broken into lines and drawn at Kivy's default width of 100 px (the privacy text into a texture
40 px wide and 5,762 px tall), then once more at its real width: about 430 of the frame's 600
glyph-extent calls. Laying the tree out top-down once, before that frame, gives each label its
real width first; the layout triggers still run as before and settle the heights.
"""

from __future__ import annotations

from typing import Any

from kivy.uix.layout import Layout
from kivy.uix.scrollview import ScrollView


def settle_widths(root: Any) -> None:
    """One layout pass from `root` down: parents size their children before the children run."""
    for widget in root.walk(restrict=True):  # parents before their children
        if isinstance(widget, Layout):
            widget.do_layout()
        elif isinstance(widget, ScrollView):
            widget.update_from_scroll()  # sizes its content to its own width
