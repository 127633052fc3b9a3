"""The first frame lays text out once, at each label's own width (kiosk/ui/first_layout.py)."""

from __future__ import annotations

import pytest
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.ui.first_layout import settle_widths

pytestmark = pytest.mark.ui


def test_a_label_has_its_width_before_the_first_frame() -> None:
    # The idle screen's shape: a column of text in a scroll view, under a top-level layout.
    root = BoxLayout(orientation="vertical")
    scroll = ScrollView(do_scroll_x=False)
    column = BoxLayout(orientation="vertical", size_hint_y=None, padding=(16, 0))
    label = Label(text="信易自助核验终端", size_hint_y=None)
    column.add_widget(label)
    scroll.add_widget(column)
    root.add_widget(scroll)
    Window.add_widget(root)
    try:
        assert label.width == 100  # Kivy's default, what its text would be laid out at first
        settle_widths(root)
        assert label.width == Window.width - 32
    finally:
        Window.remove_widget(root)
