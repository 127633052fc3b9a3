"""What every screen shares: access to the app, and a hook to rebuild content from a view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kivy.app import App
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from kiosk.session.flow_view import SessionView
from kiosk.ui.widgets import ActionRow, TopBar


class KioskScreen(Screen):
    @property
    def kiosk(self) -> Any:
        """The running KioskApp (typed loosely: screens only call its public helpers)."""
        return App.get_running_app()

    def show(self, view: SessionView, locale: str) -> None:
        """Rebuild lists that depend on the view; screens bound only in .kv need nothing."""

    def reset_scroll(self) -> None:
        """Open at the top: nobody should land where the previous person stopped reading."""
        for widget in self.walk(restrict=True):
            if isinstance(widget, ScrollView):
                for effect in (widget.effect_x, widget.effect_y):
                    if effect is not None:
                        effect.velocity = 0
                widget.scroll_x = 0
                widget.scroll_y = 1

    def spoken_text(self, view: SessionView, locale: str) -> str:
        """What the speaker button reads: the screen's texts top to bottom, then its actions.

        The top bar (name, countdown, toggles) is left out; a screen with a better order of
        its own (the result: summary and remedy first) says so by overriding this.
        """
        bar: set[int] = set()
        for widget in self.walk(restrict=True):
            if isinstance(widget, TopBar):
                bar.update(id(w) for w in widget.walk(restrict=True))
        texts: list[str] = []
        actions: list[str] = []
        for widget in self.walk(restrict=True):
            if id(widget) in bar or not isinstance(widget, Label) or not _shown(widget):
                continue
            text = widget.text.strip()
            if not text:
                continue
            if not isinstance(widget, Button):
                texts.append(text)
            elif _inside(widget, ActionRow) and not widget.disabled:
                actions.append(text)
        return "\n".join(texts + actions)

    def forget(self) -> None:
        """Drop anything built for the last session (called when a session ends)."""


def _ancestry(widget: Any) -> Iterator[Any]:
    """The widget and its parents up to the window (which is its own parent)."""
    node = widget
    while node is not None:
        yield node
        parent = getattr(node, "parent", None)
        if parent is node:
            return
        node = parent


def _shown(widget: Any) -> bool:
    return all(
        node.opacity > 0 and node.width > 0 and node.height > 0
        for node in _ancestry(widget)
        if hasattr(node, "opacity")
    )


def _inside(widget: Any, kind: type) -> bool:
    return any(isinstance(node, kind) for node in _ancestry(widget.parent))
