"""Everything `kiosk demo` needs, in one asyncio loop: the reference backend with demo data on
loopback, a simulated scanner and card reader on real ptys, and a kiosk station wired to them.

The UI tests use the same world, so what they press is what the demo shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.codes import DemoCode, NetworkSwitch, demo_codes_for
from kiosk.core.benefits import Benefit
from kiosk.session.flow import Timeouts
from kiosk.session.staff_pin import hash_pin
from kiosk.station.assembly import Station, build_station
from kiosk.station.config import DeviceConfig, KioskConfig

DEMO_STAFF_PIN = "2468"


@dataclass
class DemoWorld:
    url: str
    station: Station
    scanner: Any
    card_reader: Any
    printer: Any  # hardware.simulators.SimulatedPrinter: every slip's bytes, for tests and the README
    network: NetworkSwitch
    subjects: list[Any]
    issuer: Any
    _server: Any = field(repr=False)
    _server_thread: threading.Thread = field(repr=False)
    staff_pin: str = DEMO_STAFF_PIN
    _codes: dict[str, list[DemoCode]] = field(default_factory=dict, repr=False)

    def codes_for(self, benefit: Benefit) -> list[DemoCode]:
        if benefit.id not in self._codes:
            self._codes[benefit.id] = demo_codes_for(
                benefit, self.subjects, scanner=self.scanner, card_reader=self.card_reader,
                issuer=self.issuer, network=self.network,
            )
        return self._codes[benefit.id]

    async def aclose(self) -> None:
        # Bounded, so a part that does not stop (seen once: a test run's teardown waiting on
        # the station forever) never holds the demo, the screenshots or a test session open.
        try:
            await asyncio.wait_for(self.station.aclose(), timeout=15)
        except TimeoutError:
            print("demo world: the kiosk station did not stop within 15 s", file=sys.stderr)
        finally:
            self._server.should_exit = True
            await asyncio.to_thread(self._server_thread.join, 10)
        for device in (self.scanner, self.card_reader, self.printer):
            with contextlib.suppress(Exception):
                device.close()


def _serve_backend(workdir: Path) -> tuple[str, Any, threading.Thread]:
    """The reference backend on 127.0.0.1 in its own thread (its own loop, no signal handlers)."""
    from backend.app import create_app
    from backend.commands.serve import demo_settings
    from backend.server import build_server, listen

    settings = demo_settings(workdir / "backend-demo.sqlite3", rate_per_second=None)
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    # A bounded graceful shutdown: a kept-alive connection must not hold the demo open.
    server = build_server(create_app(settings), settings, graceful_shutdown=2)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="demo-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo backend did not start")
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


async def start_demo_world(
    workdir: Path, *, timeouts: Timeouts | None = None, staff_pin: str = DEMO_STAFF_PIN, speech: bool = False
) -> DemoWorld:
    from demo.issuer import DEMO_KEYS_DIR, load_demo_issuer
    from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN, demo_subjects
    from hardware.simulators import SimulatedCardReader, SimulatedPrinter, SimulatedScanner

    url, server, thread = await asyncio.to_thread(_serve_backend, workdir)
    scanner = SimulatedScanner()
    card_reader = SimulatedCardReader(baud=115200)
    printer = SimulatedPrinter()
    switches: list[NetworkSwitch] = []

    def wrap(online: Any) -> NetworkSwitch:
        switches.append(NetworkSwitch(online))
        return switches[-1]

    config = KioskConfig(
        backend_url=url,
        device_id=DEMO_DEVICE_ID,
        token=DEMO_TOKEN,
        data_dir=workdir / "kiosk-data",
        trust_files=tuple(sorted(DEMO_KEYS_DIR.glob("issuer-*-DEMO-public.pem"))),
        authority_keys=(DEMO_KEYS_DIR / "authority-ed25519-DEMO-public.pem",),
        device_key=DEMO_KEYS_DIR / "device-ed25519-DEMO-private.pem",
        allow_demo_keys=True,
        scanner=DeviceConfig(port=scanner.port_path, baud=9600),
        idcard=DeviceConfig(port=card_reader.port_path, baud=115200),
        printer=DeviceConfig(port=printer.port_path, baud=9600),
        staff_pin_hash=hash_pin(staff_pin, n=2**12),
        timeouts=timeouts or Timeouts(),
        speech=speech,
        origin="(demo)",
    )
    station = build_station(config, online_wrapper=wrap)
    if station.sync is not None:
        await station.sync.sync_now()  # a verified bundle, so offline decisions work at once
    station.start()
    return DemoWorld(
        url=url, station=station, scanner=scanner, card_reader=card_reader, printer=printer, network=switches[0],
        subjects=list(demo_subjects()), issuer=load_demo_issuer(), _server=server, _server_thread=thread,
        staff_pin=staff_pin,
    )
