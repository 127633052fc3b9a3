"""The runtime between devices and flow: real simulators on ptys, real drivers, the real flow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import tests.support.flow as fs
from hardware.idcard import IdCardReader
from hardware.scanner import SerialScanner
from hardware.simulators import SimulatedCardReader, SimulatedScanner, SyntheticCard
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import EndReason, FlowState
from kiosk.session.runtime import KioskRuntime, MemoryCounters, NamedDevice


async def until(done: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_scan_on_the_pty_becomes_a_decision_and_is_counted() -> None:
    flow = SessionFlow(fs.catalog(), fs.reader, fs.FactsChecker({fs.ELIGIBLE_USCC: fs.FACTS_ELIGIBLE}))
    counters = MemoryCounters()
    with SimulatedScanner() as scanner:
        runtime = KioskRuntime(flow, devices=[NamedDevice("scanner", SerialScanner(scanner.port_path))],
                               counters=counters, tick_seconds=0.05)
        runtime.start()
        try:
            await until(lambda: runtime.device_statuses() == {"scanner": "ready"})
            scanner.present(b"XKT:LEFT-ON-THE-SCANNER")  # outside PRESENT: dropped
            await asyncio.sleep(0.4)
            assert flow.view.state is FlowState.IDLE
            flow.start()
            flow.choose_benefit("expedited-permit")
            flow.ready_to_present()
            scanner.present(b"91350100M000100Y43")
            await until(lambda: flow.view.state is FlowState.RESULT)
            assert flow.view.decision is not None and flow.view.decision.outcome.value == "eligible"
            health = await runtime.health()
            assert health.counters == {("expedited-permit", "eligible"): 1}
            assert health.devices == {"scanner": "ready"} and health.backend_reachable is None
        finally:
            await runtime.aclose()


async def test_a_card_gives_the_masked_name_and_unplugging_ends_the_session() -> None:
    person = next(b for b in fs.catalog().benefits if b.kind == "person")
    checker = fs.FactsChecker({})
    checker.delay = 5.0
    flow = SessionFlow(fs.catalog(), fs.reader, checker)
    with SimulatedCardReader(baud=115200) as reader:
        runtime = KioskRuntime(flow, devices=[NamedDevice("card_reader", IdCardReader(reader.port_path))])
        runtime.start()
        try:
            await until(lambda: runtime.device_statuses() == {"card_reader": "ready"})
            flow.choose_benefit(person.id)
            flow.ready_to_present()
            reader.insert_card(SyntheticCard(name="王小明", id_number=fs.PERSON_RIC))
            await until(lambda: flow.view.state is FlowState.CHECKING)
            assert flow.view.holder_name_masked == "王**"
            reader.unplug()
            await until(lambda: flow.view.state is FlowState.IDLE)
            assert flow.view.last_end is EndReason.DEVICE_LOST and not flow.holds_personal_data
        finally:
            await runtime.aclose()


async def test_with_no_device_ready_the_present_step_says_so() -> None:
    flow = SessionFlow(fs.catalog(), fs.reader, fs.FactsChecker({}))
    runtime = KioskRuntime(flow, devices=[NamedDevice("scanner", SerialScanner("/nonexistent/xinyi-port"))])
    runtime.start()
    try:
        await until(lambda: runtime.device_statuses() == {"scanner": "no_device"})
        flow.choose_benefit("expedited-permit")
        flow.ready_to_present()
        assert flow.view.state is FlowState.ERROR and flow.view.error_kind == "no_device"
    finally:
        await runtime.aclose()


async def test_the_next_person_may_present_the_same_code_at_once() -> None:
    # The scanner counts a code held in front of it once per second; that must never swallow
    # the first read of a new session, even when it is the very code the last session used.
    flow = SessionFlow(fs.catalog(), fs.reader, fs.FactsChecker({fs.ELIGIBLE_USCC: fs.FACTS_ELIGIBLE}))
    with SimulatedScanner() as scanner:
        device = SerialScanner(scanner.port_path, repeat_window=30.0)
        runtime = KioskRuntime(flow, devices=[NamedDevice("scanner", device)], tick_seconds=0.05)
        runtime.start()
        try:
            await until(lambda: runtime.device_statuses() == {"scanner": "ready"})
            for _ in range(2):
                flow.start()
                flow.choose_benefit("expedited-permit")
                flow.ready_to_present()
                scanner.present(fs.ELIGIBLE_USCC.encode())
                await until(lambda: flow.view.state is FlowState.RESULT)
                flow.finish()
        finally:
            await runtime.aclose()
