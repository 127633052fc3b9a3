"""The Kivy App: screens follow the flow; hardening; one asyncio loop for UI, devices and HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.adapters.speech import Speaker
from kiosk.core.benefits import Benefit
from kiosk.core.text import DEFAULT_LOCALE, Locale
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState, SessionView
from kiosk.session.readout import short_reference, spoken
from kiosk.session.runtime import KioskRuntime
from kiosk.session.site import Site
from kiosk.ui import cjk_lines, theme
from kiosk.ui.first_layout import settle_widths
from kiosk.ui.kv_helpers import KvHelpers
from kiosk.ui.kv_layouts import KioskRoot, load_kv, load_modals_kv, load_screen_kv
from kiosk.ui.screens import screen_class
from kiosk.ui.slip_status import SlipStatus
from kiosk.ui.staff_mode import STAFF_IDLE_SECONDS, StaffMode

if TYPE_CHECKING:
    from demo.codes import DemoCode

STATE_SCREENS = {
    FlowState.IDLE: "idle",
    FlowState.CHOOSE_BENEFIT: "benefits",
    FlowState.CRITERIA: "criteria",
    FlowState.PRESENT: "present",
    FlowState.CHECKING: "checking",
    FlowState.RESULT: "result",
    FlowState.ERROR: "error",
}
log = logging.getLogger("kiosk.ui.app")
KEY_ESCAPE, KEY_F1 = 27, 282
WARN_SECONDS = 15  # "Need more time?" this long before a step times out


class LastResort(ExceptionHandler):
    """Kivy's loop hands it any exception a screen's handler raised; the kiosk shows the error
    screen and carries on instead of ending (systemd would restart it, but the person at the
    screen would see it vanish). Only KeyboardInterrupt / SystemExit, or a failed recovery, end it."""

    def __init__(self, app: KioskApp) -> None:
        self._app = app

    def handle_exception(self, inst: BaseException) -> int:
        if not isinstance(inst, Exception):
            return int(ExceptionManager.RAISE)
        # The type only: an exception's message may hold what was scanned.
        log.error("a screen handler failed (%s); showing the error screen", type(inst).__name__)
        try:
            self._app.recover()
        except Exception:
            return int(ExceptionManager.RAISE)
        return int(ExceptionManager.PASS)


class KioskApp(StaffMode, KvHelpers, App):
    locale = StringProperty(DEFAULT_LOCALE)
    font_scale = NumericProperty(1.0)
    elder = BooleanProperty(False)
    view = ObjectProperty(SessionView())
    window_size = ListProperty([800, 480])
    staff_mode = StringProperty("")
    speech_enabled = BooleanProperty(False)
    slips = ObjectProperty(None)  # SlipStatus: printer there, what it last said
    speaking = BooleanProperty(False)
    use_kivy_settings = False
    title = "Xinyi Kiosk"

    def __init__(
        self,
        runtime: KioskRuntime,
        *,
        hardened: bool = True,
        demo_codes: Callable[[Benefit], Sequence[DemoCode]] | None = None,
        speaker: Speaker | None = None,
        on_ready: Callable[[], None] | None = None,
        heartbeat: tuple[Callable[[], None], float] | None = None,
        site: Site | None = None,
        **kwargs: Any,
    ) -> None:
        self.runtime = runtime
        self.flow: SessionFlow = runtime.flow
        self.hardened = hardened
        self.demo_codes = demo_codes
        self.speaker = speaker
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_site: Callable[[], None] | None = None
        self._staff_deadline = 0.0
        self._staff_timer: Any = None
        self._on_ready = on_ready
        self._heartbeat = heartbeat
        if site is not None:
            self.flow.apply_policy(self.flow.catalog, site)
        self._speaking: asyncio.Future[bool] | None = None
        self._ticket: Any = None
        self._print_notice: Any = None
        self._warning: Any = None
        self._last_resort = LastResort(self)
        super().__init__(**kwargs)
        self.slips = SlipStatus(runtime.slips)
        self.set_elder(self.default_elder)
        self.speech_enabled = bool(speaker and speaker.available)

    # -- building --------------------------------------------------------------------------
    def build(self) -> KioskRoot:
        load_kv()
        root = Factory.KioskRoot()
        manager: ScreenManager = root.ids.screens
        manager.transition = NoTransition()
        # Only the idle screen is built at start; the others on first use (faster cold start).
        load_screen_kv("idle")
        manager.add_widget(screen_class("idle")(name="idle"))
        self.root = root
        self.window_size = list(Window.size)
        Window.bind(size=self._on_window_size)
        # Every drawn frame tells the runtime; the heartbeat reports the last one (issue #17).
        Window.bind(on_flip=self._on_flip)
        self._unsubscribe = self.flow.subscribe(self._on_view)
        self._unsubscribe_site = self.flow.subscribe_site(self._on_site)
        self._staff_timer = Clock.schedule_interval(lambda _dt: self.check_staff_timeout(), 1.0)
        if self.hardened:
            self.harden()
        ExceptionManager.add_handler(self._last_resort)
        return root

    def detach(self) -> None:
        """Stop following the flow and release the window's handlers (tests, restarts)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._unsubscribe_site is not None:
            self._unsubscribe_site()
            self._unsubscribe_site = None
        if self._staff_timer is not None:
            self._staff_timer.cancel()
            self._staff_timer = None
        Window.unbind(size=self._on_window_size)
        Window.unbind(on_flip=self._on_flip)
        self.stop_speaking()
        if self._last_resort in ExceptionManager.handlers:
            ExceptionManager.remove_handler(self._last_resort)
        self.unharden()

    def _on_flip(self, *_: Any) -> None:
        self.runtime.frame_drawn()

    # -- hardening -------------------------------------------------------------------------
    def harden(self) -> None:
        Window.bind(on_request_close=self._refuse_close, on_keyboard=self._swallow_keys)

    def unharden(self) -> None:
        Window.unbind(on_request_close=self._refuse_close, on_keyboard=self._swallow_keys)

    def _refuse_close(self, *_: Any, **__: Any) -> bool:
        return True

    def _swallow_keys(self, _window: Any, key: int, *_: Any) -> bool:
        return key in (KEY_ESCAPE, KEY_F1)

    def open_settings(self, *_: Any) -> bool:
        return False

    def on_start(self) -> None:
        # The root is on the window now, at its size: lay the idle screen out before its first
        # frame, so no label is broken into lines at Kivy's default width first.
        settle_widths(self.root)
        if self.hardened and Window.fullscreen:
            Window.show_cursor = False
        if self._on_ready is not None:
            ready = self._on_ready
            Clock.schedule_once(lambda _dt: ready(), 0)
        if self._heartbeat is not None:
            # Beats come from Kivy's clock, so a frozen UI loop stops them (systemd watchdog).
            beat, seconds = self._heartbeat
            Clock.schedule_interval(lambda _dt: beat(), seconds)

    # -- following the flow ----------------------------------------------------------------
    @property
    def site(self) -> Site:
        """The site's settings: the flow holds them, so they change only between two people."""
        return self.flow.site

    @property
    def default_elder(self) -> bool:
        return self.site.elder_view

    def _on_site(self, site: Site) -> None:
        if self.flow.view.state is FlowState.IDLE:
            self.set_elder(site.elder_view)

    @property
    def screens(self) -> ScreenManager:
        return self.root.ids.screens

    def _on_view(self, view: SessionView) -> None:
        changed_state = view.state is not self.view.state
        if changed_state and view.state is FlowState.IDLE:
            self.session_ended()
        self.view = view
        self.locale = view.locale
        if self.staff_mode and view.state is not FlowState.IDLE:
            self.staff_mode = ""
        self._show(refresh=changed_state or view.state in (FlowState.RESULT, FlowState.ERROR))
        self._warn_if_time_runs_out(view)
        if changed_state and view.state is FlowState.RESULT and self.site.speak_results:
            self.speak_result()

    def _warn_if_time_runs_out(self, view: SessionView) -> None:
        left = view.seconds_left
        due = left is not None and left <= WARN_SECONDS and view.state not in (FlowState.IDLE, FlowState.CHECKING)
        if due and self._warning is None and self.root is not None:
            load_modals_kv()
            self._warning = Factory.TimeWarning()
            self._warning.open(animation=False)
        elif not due and self._warning is not None:
            warning, self._warning = self._warning, None
            warning.dismiss(animation=False)

    def extend_time(self) -> None:
        self.flow.touch()

    def call_staff(self) -> None:
        """A ticket naming the counter and the reference; it goes when the session does."""
        self.flow.touch()
        decision = self.view.decision
        if self._ticket is None:
            load_modals_kv()
            self._ticket = Factory.HelpTicket()
            self._ticket.bind(on_dismiss=lambda *_: setattr(self, "_ticket", None))
        self._ticket.reference = short_reference(decision.decision_id) if decision else ""
        self._ticket.open(animation=False)
        # Once per press, where a printer is configured: the same ticket on paper to carry.
        self.slips.print_ticket(self.view, self.locale)

    def print_receipt(self) -> None:
        """One slip per press; what the printer says is shown until the person closes it."""
        self.flow.touch()
        if not self.slips.print_receipt(self.view, self.locale):
            return
        if self._print_notice is None:
            load_modals_kv()
            self._print_notice = Factory.PrintNotice()
            self._print_notice.bind(on_dismiss=lambda *_: setattr(self, "_print_notice", None))
        self._print_notice.open(animation=False)

    def _show(self, *, refresh: bool = True) -> None:
        name = self.staff_mode or STATE_SCREENS[self.view.state]
        manager = self.screens
        if not manager.has_screen(name):
            load_screen_kv(name)
            manager.add_widget(screen_class(name)(name=name))
        if manager.current != name:
            # A readout is about the screen it was started on: it ends when that screen goes.
            self.stop_speaking()
            manager.get_screen(name).reset_scroll()
            manager.current = name
            refresh = True
        if refresh:
            manager.get_screen(name).show(self.view, self.locale)

    def on_locale(self, *_: Any) -> None:
        if self.root is not None:
            self._show()

    def on_font_scale(self, *_: Any) -> None:
        if self.root is not None:
            self._show()

    def _on_window_size(self, _window: Any, size: Sequence[int]) -> None:
        self.window_size = list(size)

    # -- helpers the .kv files call --------------------------------------------------------
    def toggle_locale(self) -> None:
        locale: Locale = "en" if self.locale == "zh-CN" else "zh-CN"
        self.flow.set_locale(locale)

    def toggle_elder(self) -> None:
        self.set_elder(not self.elder)
        self.flow.touch()

    def set_elder(self, elder: bool) -> None:
        self.elder = elder
        self.font_scale = theme.ELDER_SCALE if elder else 1.0

    def session_ended(self) -> None:
        """Nothing of this person reaches the next: speech, view, scroll, built lists, the
        line breaks of their texts."""
        self.stop_speaking()
        cjk_lines.forget()
        for modal in (self._ticket, self._print_notice):
            if modal is not None:
                modal.dismiss(animation=False)
        if self.elder != self.default_elder:
            self.set_elder(self.default_elder)
        if self.root is not None:
            for screen in self.screens.screens:
                screen.forget()
                screen.reset_scroll()

    def any_touch(self) -> None:
        self.flow.touch()
        self._staff_deadline = self.flow_clock() + STAFF_IDLE_SECONDS

    def choose_benefit(self, benefit_id: str) -> None:
        self.flow.choose_benefit(benefit_id)

    def codes_for(self, benefit: Benefit) -> Sequence[DemoCode]:
        return self.demo_codes(benefit) if self.demo_codes is not None else ()

    def demo_button(self, code: DemoCode, locale: str) -> Any:
        button = Factory.KioskButton(text=self.tr("demo.present", locale, label=code.label.get(locale)))
        button.role = "secondary"
        button.bind(on_release=lambda *_: code.present())
        return button

    def recover(self) -> None:
        """After an unexpected failure: leave staff mode, show the error screen (it returns to idle)."""
        self.staff_mode = ""
        self.flow.internal_error()
        self._show()

    # -- speech ------------------------------------------------------------------------------
    def spoken_result(self) -> str:
        decision = self.view.decision
        if decision is None:
            return ""
        return spoken(decision, self.locale, self.site, self.view.holder_name_masked)

    def spoken_screen(self) -> str:
        """What the speaker button reads on the screen that is up now."""
        return str(self.screens.current_screen.spoken_text(self.view, self.locale))

    def read_screen(self) -> asyncio.Future[bool] | None:
        """The speaker button: read this screen aloud, or stop when it is already reading."""
        self.flow.touch()
        if self.speaking:
            self.stop_speaking()
            return None
        return self._say(self.spoken_screen())

    def speak_result(self) -> asyncio.Future[bool] | None:
        self.flow.touch()
        return self._say(self.spoken_result())

    def _say(self, text: str) -> asyncio.Future[bool] | None:
        if self.speaker is None or not self.speaker.available or not text.strip():
            return None
        self.stop_speaking()
        speaking = asyncio.ensure_future(self.speaker.say(text, self.locale))
        self._speaking = speaking
        self.speaking = True

        def ended(_done: asyncio.Future[bool]) -> None:
            if self._speaking is speaking:
                self._speaking = None
                self.speaking = False

        speaking.add_done_callback(ended)
        return speaking

    def stop_speaking(self) -> None:
        # Not task.cancel(): a cancel while espeak-ng is starting could orphan the process;
        # the speaker's own stop also silences a readout that is still starting.
        if self.speaker is not None:
            self.speaker.stop_now()
        self._speaking = None
        self.speaking = False


async def run_app(app: KioskApp) -> None:
    """Kivy, the drivers and httpx on one asyncio loop; returns when the app stops."""
    app.runtime.start()
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        app.detach()
        await app.runtime.aclose()
