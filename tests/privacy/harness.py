"""A whole kiosk for the privacy suite: the real station (flow, checker, store, sync, runtime)
on the real backend over loopback, with simulated scanner and card reader on real ptys.

The backend's database is the demo population plus one record per canary subject; each canary
copies the facts of a demo subject whose outcome it should get, so the canaries are decided by
the same rules and the same code as everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from backend.auth import DeviceCredential
from backend.db import SeedSubject, create_database
from backend.settings import Settings
from demo.issuer import DEMO_KEYS_DIR, demo_backend_keys, load_demo_issuer
from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN, DemoSubject, demo_subjects, seed_subjects
from hardware.simulators import SimulatedCardReader, SimulatedPrinter, SimulatedScanner, SyntheticCard
from kiosk.session.flow import Timeouts
from kiosk.session.flow_view import FlowState, SessionView
from kiosk.session.staff_pin import hash_pin
from kiosk.station.assembly import Station, build_station
from kiosk.station.config import DeviceConfig, KioskConfig
from tests.privacy.canaries import (
    BUSINESS_TOKEN,
    CARD_ADDRESS,
    CARD_ISSUER,
    CARD_NAME,
    FACT_NOTE,
    OUTCOMES,
    PERSON_TOKEN,
    RIC,
    TALLY,
    USCC,
    CanarySet,
)

BUSINESS_BENEFIT = "expedited-permit"
PERSON_BENEFIT = "library-deposit-free"
STAFF_PIN = "802468"


def _model(subjects: list[DemoSubject], kind: str, benefit: str, outcome: str) -> DemoSubject:
    return next(
        s for s in subjects
        if s.kind == kind and s.on_record and s.scheme != "token" and s.expected.get(benefit) == outcome
    )


def canary_seed(subjects: list[DemoSubject]) -> list[SeedSubject]:
    """One canary business and one canary person per outcome, each also reachable by a token."""
    seeds = []
    for outcome in OUTCOMES:
        business = _model(subjects, "business", BUSINESS_BENEFIT, outcome)
        person = _model(subjects, "person", PERSON_BENEFIT, outcome)
        business_refs = [("uscc", USCC[outcome]), ("token", BUSINESS_TOKEN[outcome])]
        person_refs = [("ric", RIC[outcome]), ("token", PERSON_TOKEN[outcome])]
        seeds.append(SeedSubject("business", f"金丝雀企业 {outcome}", business_refs,
                                 dict(business.facts), dict(business.as_of)))
        seeds.append(SeedSubject("person", f"金丝雀居民 {outcome}", person_refs,
                                 dict(person.facts), dict(person.as_of)))
    return seeds


def canary_facts(kind: str, outcome: str) -> dict[str, Any]:
    """Facts for a signed credential that decide `outcome` offline, plus a canary note."""
    subjects = demo_subjects()
    benefit = BUSINESS_BENEFIT if kind == "business" else PERSON_BENEFIT
    return {**dict(_model(subjects, kind, benefit, outcome).facts), "canary_note": FACT_NOTE}


def write_canary_database(path: Path) -> None:
    subjects = demo_subjects()
    create_database(path, [*seed_subjects(subjects), *canary_seed(subjects)])


def canary_backend_settings(folder: Path, **overrides: Any) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    write_canary_database(folder / "canary.sqlite3")
    settings = Settings(
        db_path=folder / "canary.sqlite3",
        devices=(DeviceCredential.from_token(DEMO_DEVICE_ID, DEMO_TOKEN),),
        rate_per_second=None,
        **demo_backend_keys(),  # type: ignore[arg-type]
    )
    from dataclasses import replace

    return replace(settings, **overrides)


def canary_card(id_number: str) -> SyntheticCard:
    return SyntheticCard(name=CARD_NAME, id_number=id_number, address=CARD_ADDRESS, issuer=CARD_ISSUER)


def mint(canaries: CanarySet, kind: str, subject: str, facts: dict[str, Any], *, label: str,
         valid_for: timedelta = timedelta(days=30), issuer: Any = None, **extra: Any) -> str:
    issuer = issuer or load_demo_issuer()
    payload: str = issuer.issue(kind=kind, subject_value=subject, facts=facts, valid_for=valid_for, **extra)
    return canaries.add(f"credential-{label}", payload)


@contextlib.contextmanager
def stalling_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers: a hung backend."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        listener.close()


def dead_url() -> str:
    """An address where nobody listens (a stopped backend)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


@dataclass
class Kiosk:
    station: Station
    scanner: SimulatedScanner
    reader: SimulatedCardReader
    config: KioskConfig
    last_scan: str | None = None
    printer: SimulatedPrinter | None = None

    @property
    def flow(self) -> Any:
        return self.station.runtime.flow

    async def wait_for(self, states: tuple[FlowState, ...], limit: float = 15.0) -> SessionView:
        waited = 0.0
        while self.flow.view.state not in states:
            if waited > limit:
                raise AssertionError(f"flow stuck in {self.flow.view.state}")
            await asyncio.sleep(0.01)
            waited += 0.01
        return self.flow.view

    async def devices_ready(self) -> None:
        waited = 0.0
        while set(self.station.runtime.device_statuses().values()) != {"ready"}:
            if waited > 15:
                raise AssertionError(f"devices not ready: {self.station.runtime.device_statuses()}")
            await asyncio.sleep(0.02)
            waited += 0.02

    def begin(self, benefit: str) -> None:
        TALLY["sessions"] += 1
        self.flow.start()
        self.flow.choose_benefit(benefit)
        self.flow.ready_to_present()
        assert self.flow.view.state is FlowState.PRESENT

    async def scan(self, benefit: str, payload: str, *, finish: bool = True) -> SessionView:
        """One whole session with a scanned code; returns what the screen showed at its end."""
        if payload == self.last_scan:
            await asyncio.sleep(1.05)  # the scanner counts the same code again only after 1 s
        self.last_scan = payload
        self.begin(benefit)
        self.scanner.present(payload.encode("utf-8"))
        view = await self.wait_for((FlowState.RESULT, FlowState.ERROR))
        if finish:
            self.flow.finish()
            assert not self.flow.holds_personal_data
        return view

    async def card(self, benefit: str, card: SyntheticCard) -> SessionView:
        self.begin(benefit)
        await self.card_taken_away()
        self.reader.insert_card(card)
        view = await self.wait_for((FlowState.RESULT, FlowState.ERROR))
        self.flow.finish()
        self.reader.remove_card()
        assert not self.flow.holds_personal_data
        return view

    async def card_taken_away(self) -> None:
        """Remove the card and wait until the driver has seen the reader empty."""
        self.reader.remove_card()
        seen = self.reader.no_card_answers
        waited = 0.0
        while self.reader.no_card_answers == seen and waited < 5:
            await asyncio.sleep(0.02)
            waited += 0.02

    async def aclose(self) -> None:
        await self.station.aclose()
        self.scanner.close()
        self.reader.close()
        if self.printer is not None:
            self.printer.close()


async def start_kiosk(
    backend_url: str, data_dir: Path, *, timeouts: Timeouts | None = None, sync_first: bool = True,
    online_wrapper: Any = None, printer: bool = False,
) -> Kiosk:
    scanner = SimulatedScanner()
    reader = SimulatedCardReader(baud=115200)
    slip_printer = SimulatedPrinter() if printer else None
    config = KioskConfig(
        backend_url=backend_url,
        device_id=DEMO_DEVICE_ID,
        token=DEMO_TOKEN,
        data_dir=data_dir,
        trust_files=tuple(sorted(DEMO_KEYS_DIR.glob("issuer-*-DEMO-public.pem"))),
        authority_keys=(DEMO_KEYS_DIR / "authority-ed25519-DEMO-public.pem",),
        # Offline decisions are signed with the demo kiosk's device key, as a provisioned kiosk's are.
        device_key=DEMO_KEYS_DIR / "device-ed25519-DEMO-private.pem",
        allow_demo_keys=True,
        scanner=DeviceConfig(port=scanner.port_path, baud=9600),
        idcard=DeviceConfig(port=reader.port_path, baud=115200),
        printer=DeviceConfig(port=slip_printer.port_path if slip_printer else None),
        staff_pin_hash=hash_pin(STAFF_PIN, n=2**12),
        timeouts=timeouts or Timeouts(),
        origin="(privacy suite)",
    )
    station = build_station(config, online_wrapper=online_wrapper)
    if sync_first and station.sync is not None:
        await station.sync.sync_now()
    station.start()
    kiosk = Kiosk(station, scanner, reader, config, printer=slip_printer)
    await kiosk.devices_ready()
    return kiosk
