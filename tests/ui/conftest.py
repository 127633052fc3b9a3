"""One real Kivy window for the whole UI test run, driven against the real demo world.

The window is SDL offscreen when there is no display (or Xvfb when DISPLAY is set, as in CI).
The demo world is the one `kiosk demo` runs: the reference backend on loopback with demo data,
a simulated scanner and card reader on real ptys, and a kiosk station wired to them. Tests tap
the screen through Kivy's input path and read what the labels say.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONFIG"] = "1"
os.environ["KIVY_NO_FILELOG"] = "1"
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="xinyi-kivy-test-"))

from kiosk.ui.env import configure_kivy

configure_kivy(size=(800, 480), max_fps=0)

import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402
from kivy.core.window import Window  # noqa: E402

from demo.world import DemoWorld, start_demo_world  # noqa: E402
from kiosk.adapters.speech import Speaker  # noqa: E402
from kiosk.session.flow import Timeouts  # noqa: E402
from kiosk.session.flow_view import FlowState  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.driver import ScreenDriver  # noqa: E402


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoWorld]:
    running = await start_demo_world(tmp_path_factory.mktemp("demo-world"), timeouts=Timeouts())
    yield running
    await running.aclose()


@pytest.fixture(scope="session")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech") / "spoken.wav"


@pytest.fixture(scope="session")
def kiosk_app(world: DemoWorld, spoken_wav: Path) -> Iterator[KioskApp]:
    app = KioskApp(world.station.runtime, demo_codes=world.codes_for, speaker=Speaker(wav_path=spoken_wav))
    root = app.build()
    Window.add_widget(root)
    yield app
    app.detach()
    Window.remove_widget(root)


@pytest_asyncio.fixture(loop_scope="session")
async def ui(kiosk_app: KioskApp, world: DemoWorld) -> AsyncIterator[ScreenDriver]:
    """A driver on the idle screen in Chinese, standard view, with both devices ready."""
    flow = kiosk_app.flow
    flow.cancel()
    if kiosk_app.elder:
        kiosk_app.toggle_elder()
    kiosk_app.close_staff()
    flow.set_locale("zh-CN")
    driver = ScreenDriver(kiosk_app)
    runtime = world.station.runtime
    await driver.wait_for(lambda: set(runtime.device_statuses().values()) == {"ready"}, timeout=15)
    assert flow.view.state is FlowState.IDLE
    yield driver
    world.network.release()
    flow.cancel()
    await driver.settle()
