"""Kiosk hardening on a running App: Escape, F1 and window-close do nothing; no debug extras."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from kivy.app import App
from kivy.base import EventLoop
from kivy.config import Config
from kivy.core.window import Window
from kivy.uix.settings import Settings

from demo.world import DemoWorld
from kiosk.ui.app import KioskApp
from kiosk.ui.driver import ScreenDriver

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def second_app_slot(kiosk_app: KioskApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Room for a second App run: the session's screen comes off, Window.close is a no-op."""
    Window.remove_widget(kiosk_app.root)
    monkeypatch.setattr(Window, "close", lambda *_: None)
    try:
        yield
    finally:
        EventLoop.quit = False
        EventLoop.status = "started"
        App._running_app = kiosk_app
        for child in list(Window.children):
            Window.remove_widget(child)
        Window.add_widget(kiosk_app.root)


async def test_a_running_kiosk_app_ignores_escape_f1_and_close(
    world: DemoWorld, second_app_slot: None
) -> None:
    app = KioskApp(world.station.runtime, hardened=True)
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        for _ in range(100):
            if app.root is not None and app.root.get_root_window() is not None:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        seen["escape"] = Window.dispatch("on_keyboard", 27, 41, "", [])
        seen["f1"] = Window.dispatch("on_keyboard", 282, 58, "", [])
        seen["close"] = Window.dispatch("on_request_close")
        await asyncio.sleep(0.1)
        seen["still_running"] = EventLoop.status == "started" and app.root.get_root_window() is Window
        seen["settings_open"] = any(isinstance(w, Settings) for child in Window.children for w in child.walk())
        seen["open_settings"] = app.open_settings()
        app.stop()

    try:
        await asyncio.wait_for(asyncio.gather(app.async_run(async_lib="asyncio"), scenario()), timeout=30)
    finally:
        app.detach()
    assert seen == {
        "escape": True, "f1": True, "close": True, "still_running": True,
        "settings_open": False, "open_settings": False,
    }


async def test_no_multitouch_dots_no_inspector_no_escape_exit() -> None:
    assert "disable_multitouch" in Config.get("input", "mouse")
    assert not Config.getboolean("kivy", "exit_on_escape")
    modules = Config.options("modules") if Config.has_section("modules") else []
    assert "inspector" not in modules and "monitor" not in modules
    assert KioskApp.use_kivy_settings is False


async def test_the_session_screen_is_back_after_the_app_test(ui: ScreenDriver) -> None:
    ui.tap_key("idle.start")
    assert ui.screen.name == "benefits"
