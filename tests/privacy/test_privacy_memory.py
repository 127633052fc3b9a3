"""Memory hygiene: nothing about a session outlives it, and raw card frames are zeroed.

Python cannot promise that bytes are gone from memory (immutable str/bytes copies are freed,
not wiped; PRIVACY.md says where). What it can promise, and these tests show, is that the
session's objects become unreachable on every way out, so the memory is released at once,
and that the one mutable buffer that held a whole card reply is overwritten with zeros.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN
from hardware.base import CardEvent
from hardware.idcard import SamChannel
from hardware.ports import SerialLink
from hardware.sam import FIND_CARD, READ_BASE_INFO, SAM_STATUS, SELECT_CARD, card_from_base_info
from hardware.simulators import PHOTO_MARKER, SimulatedCardReader
from kiosk.core.credentials import Presentation
from kiosk.core.decision_records import Decision
from kiosk.session.flow import SessionFlow, Timeouts
from kiosk.session.flow_view import EndReason, FlowState
from kiosk.station.config import KioskConfig
from kiosk.station.services import build_services
from tests.privacy.canaries import BUSINESS_TOKEN, CARD_ADDRESS, CARD_NAME, PERSON_TOKEN, RIC, USCC
from tests.privacy.harness import BUSINESS_BENEFIT, PERSON_BENEFIT, canary_card, stalling_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Watched:
    """Every Presentation read and every Decision shown, watched without keeping them alive.

    Both are slotted dataclasses, which take no weak references; instead the watcher notes
    their ids and asks the garbage collector (which tracks every instance of a Python class)
    whether an object of that type with that id still exists after a full collection.
    """

    def __init__(self) -> None:
        self.refs: list[tuple[type, int]] = []

    def reader(self, read: Callable[[bytes | str], Presentation]) -> Callable[[bytes | str], Presentation]:
        def observed(raw: bytes | str) -> Presentation:
            presentation = read(raw)
            self.refs.append((Presentation, id(presentation)))
            return presentation

        return observed

    def decision(self, decision: Decision) -> None:
        self.refs.append((Decision, id(decision)))

    def alive(self) -> int:
        gc.collect()
        live = {(type(o), id(o)) for o in gc.get_objects() if type(o) in (Presentation, Decision)}
        # A set: once an object is freed, a new one may get the same id; counting the recorded
        # ids one by one would then count one live object twice.
        return len(set(self.refs) & live)


def make_flow(url: str, watched: Watched, clock: Clock) -> SessionFlow:
    config = KioskConfig(backend_url=url, device_id=DEMO_DEVICE_ID, token=DEMO_TOKEN)
    services = build_services(config)
    flow = SessionFlow(services.catalog, watched.reader(services.presentation_reader()), services.checker,
                       timeouts=Timeouts(), clock=clock)
    flow.add_decision_listener(watched.decision)
    return flow


async def present(flow: SessionFlow, benefit: str, payload: str) -> Any:
    flow.start()
    flow.choose_benefit(benefit)
    flow.ready_to_present()
    return flow.present(payload)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_session_is_collectable_after_done_result_timeout_and_error(backend_url: str) -> None:
    watched, clock = Watched(), Clock()
    flow = make_flow(backend_url, watched, clock)
    # Done: the person reads the result and leaves.
    await (await present(flow, BUSINESS_BENEFIT, USCC["eligible"]))
    # On screen: the decision. The presentation was let go as soon as the check returned.
    assert flow.view.state is FlowState.RESULT and watched.alive() == 1
    flow.finish()
    assert watched.alive() == 0 and flow.view.last_end is EndReason.DONE
    # Nobody touches the result: the timeout ends it.
    await (await present(flow, PERSON_BENEFIT, PERSON_TOKEN["not_eligible"]))
    clock.now += Timeouts().result + 1
    flow.tick()
    assert flow.view.state is FlowState.IDLE and watched.alive() == 0
    # Wrong kind: a presentation was read, then refused.
    assert await present(flow, PERSON_BENEFIT, USCC["not_eligible"]) is None
    assert flow.view.state is FlowState.ERROR
    assert watched.alive() == 0
    flow.finish()
    # The backend refuses (a person's token for a business benefit) or answers an error.
    task = await present(flow, BUSINESS_BENEFIT, PERSON_TOKEN["eligible"])
    await task
    flow.finish()
    assert watched.alive() == 0
    assert len(watched.refs) >= 5


async def test_a_session_is_collectable_after_cancel_check_timeout_and_unplug() -> None:
    watched, clock = Watched(), Clock()
    with stalling_server() as hung:
        flow = make_flow(hung, watched, clock)
        for end in ("cancel", "timeout", "device_lost"):
            task = await present(flow, BUSINESS_BENEFIT, BUSINESS_TOKEN["eligible"])
            await settle()
            assert flow.view.state is FlowState.CHECKING and watched.alive() == 1
            if end == "cancel":
                flow.cancel()
            elif end == "device_lost":
                flow.device_lost()
            else:
                clock.now += Timeouts().checking + 1
                flow.tick()
                assert flow.view.state is FlowState.ERROR
                flow.finish()
            with pytest.raises(asyncio.CancelledError):
                await task
            del task
            await settle()
            assert flow.view.state is FlowState.IDLE and not flow.holds_personal_data
            assert watched.alive() == 0, end


async def test_the_card_reply_buffer_is_zeroed_after_the_text_is_taken_out(tmp_path: Path) -> None:
    """The driver's own read path over a real pty: the buffer bytes land in is all zeros after."""
    reader = SimulatedCardReader(canary_card(RIC["eligible"]), baud=115200)
    loop = asyncio.get_running_loop()
    link = SerialLink.open(reader.port_path, 115200)
    channel = SamChannel(link, loop)
    try:
        await channel.transact(SAM_STATUS, 2.0)
        await channel.transact(FIND_CARD, 2.0)
        await channel.transact(SELECT_CARD, 2.0)
        reply = await channel.transact(READ_BASE_INFO, 2.0, card_from_base_info)
        assert reply.value == CardEvent(RIC["eligible"], CARD_NAME[0] + "*" * (len(CARD_NAME) - 1))
        assert reply.data_length > 1000  # the whole reply, photo included, went through the buffer
        buffer = channel._frames._buffer  # the bytearray read_into() filled
        assert not any(buffer), "the card reply buffer still holds bytes"
        for secret in (PHOTO_MARKER[:8], CARD_NAME.encode("utf-16-le"), CARD_ADDRESS.encode("utf-16-le"),
                       RIC["eligible"].encode("utf-16-le")):
            assert secret not in buffer
        assert repr(reply.value).count(RIC["eligible"]) == 0 and CARD_NAME not in repr(reply.value)
    finally:
        channel.close()
        reader.close()
