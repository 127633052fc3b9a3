"""The ID-card reader driver against a simulated SAM module on a real pty."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hardware.base import CardEvent, DeviceStatus, StatusEvent
from hardware.errors import CardDataError, DeviceNotResponding, SamStatusError
from hardware.idcard import IdCardReader
from hardware.sam import READ_BASE_INFO
from hardware.simulators import (
    PHOTO_MARKER,
    SYNTHETIC_ADDRESS,
    SimulatedCardReader,
    SyntheticCard,
)
from tests.support.hardware import FAST_READER, next_of, status_of


def reader(port: str, **overrides: object) -> IdCardReader:
    return IdCardReader(port, **{**FAST_READER, **overrides})  # type: ignore[arg-type]


async def wait_for_removal_seen(sim: SimulatedCardReader) -> None:
    seen = sim.no_card_answers
    while sim.no_card_answers == seen:
        await asyncio.sleep(0.01)


def leaks(text: str, card: SyntheticCard) -> list[str]:
    secrets = {
        "photo": PHOTO_MARKER.decode("latin-1")[1:-1],
        "photo hex": PHOTO_MARKER.hex()[2:-2],
        "address": SYNTHETIC_ADDRESS,
        "name": card.name,
        "id number": card.id_number,
    }
    return [what for what, secret in secrets.items() if secret in text]


async def test_a_card_gives_one_event_with_only_the_number_and_the_masked_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    card = SyntheticCard(name="欧阳娜娜")
    with SimulatedCardReader(card) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            event = await next_of(events, CardEvent)
            assert event == CardEvent(card.id_number, "欧***")
            assert device.baud == 115200
            # The photo never leaves the driver: not in the object, its repr, or any log line.
            assert set(event.__slots__) == {"id_number", "name_masked"}
            assert leaks(repr(event) + str(event), card) == []
            assert leaks(caplog.text, card) == []
            await wait_for_removal_seen(sim)
            await asyncio.sleep(0.1)  # several more polls with the card still lying there
            assert sim.commands.count((0x30, 0x01)) == 1
            assert not sim.fingerprint_requested


async def test_a_removed_card_and_the_next_card_are_read_in_turn() -> None:
    first, second = SyntheticCard(), SyntheticCard(name="李四")
    with SimulatedCardReader(first, refuse_find_after_read=False) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            assert (await next_of(events, CardEvent)).name_masked == "张*"
            await asyncio.sleep(0.1)  # the card stays on the reader: no second event
            assert sim.commands.count((0x30, 0x01)) == 1
            sim.remove_card()
            await wait_for_removal_seen(sim)
            sim.insert_card(second)
            assert (await next_of(events, CardEvent)).name_masked == "李*"
            assert sim.commands.count((0x30, 0x01)) == 2
            assert (0x30, 0x10) not in sim.commands


async def test_a_module_at_9600_baud_is_found_after_115200_gets_no_answer() -> None:
    with SimulatedCardReader(SyntheticCard(), baud=9600) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            assert device.baud == 9600
            assert isinstance(await next_of(events, CardEvent), CardEvent)


@pytest.mark.parametrize("fault", ["checksum", "truncate", "garbage", "unknown_status", "silence"])
async def test_a_spoilt_reply_is_survived_and_the_card_is_still_read(fault: str) -> None:
    with SimulatedCardReader() as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.inject_fault(fault)  # spoils the next find-card reply
            sim.insert_card(SyntheticCard())
            assert isinstance(await next_of(events, CardEvent), CardEvent)
            assert device.status is DeviceStatus.READY


async def test_a_spoilt_photo_reply_reveals_nothing_and_the_retry_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    card = SyntheticCard()
    with SimulatedCardReader(refuse_find_after_read=False) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            for fault in ("checksum", "truncate", "unknown_status", "garbage"):
                sim.inject_fault(fault, on=READ_BASE_INFO)  # garbage in front is survivable
            sim.insert_card(card)
            problems: list[StatusEvent] = []
            while True:
                event = await asyncio.wait_for(anext(events), 5)
                if isinstance(event, CardEvent):
                    break
                assert isinstance(event, StatusEvent)
                problems.append(event)
            assert event.id_number == card.id_number
            assert sim.commands.count(READ_BASE_INFO) == 4
            assert len(problems) >= 3  # each failed read told the person to hold the card still
            text = caplog.text + "".join(
                repr(p) + (p.problem.detail + p.problem.text.zh + p.problem.text.en if p.problem else "")
                for p in problems
            )
            assert leaks(text, card) == []


async def test_an_unreadable_card_is_reported_once_without_its_data() -> None:
    card = SyntheticCard(id_number="110101199001011230")  # check digit should be 7
    with SimulatedCardReader(card) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            status = await next_of(events, StatusEvent)
            assert status.status is DeviceStatus.READY
            assert isinstance(status.problem, CardDataError)
            assert leaks(status.problem.detail + repr(status.problem), card) == []


async def test_a_failed_sam_self_test_is_an_error_status() -> None:
    with SimulatedCardReader(sam_status=0x60) as sim:
        async with reader(sim.port_path) as device:
            failed = await status_of(aiter(device), DeviceStatus.ERROR)
            assert isinstance(failed.problem, SamStatusError)
            assert failed.problem.sw3 == 0x60


async def test_a_port_where_nothing_answers_is_an_error_status() -> None:
    with SimulatedCardReader(baud=19200) as sim:  # a rate the driver does not try
        async with reader(sim.port_path) as device:
            silent = await status_of(aiter(device), DeviceStatus.ERROR)
            assert isinstance(silent.problem, DeviceNotResponding)
            assert silent.problem.message("en")


async def test_unplug_reports_disconnected_and_replug_reads_again() -> None:
    with SimulatedCardReader(SyntheticCard()) as sim:
        async with reader(sim.port_path) as device:
            events = aiter(device)
            await next_of(events, CardEvent)
            sim.unplug()
            await status_of(events, DeviceStatus.DISCONNECTED)
            sim.replug()
            sim.insert_card(SyntheticCard(name="王五"))
            await status_of(events, DeviceStatus.READY)
            assert (await next_of(events, CardEvent)).name_masked == "王*"


async def test_unplug_in_the_middle_of_a_photo_reply_is_clean() -> None:
    with SimulatedCardReader() as sim:
        async with reader(sim.port_path, read_timeout=3.0) as device:
            events = aiter(device)
            await status_of(events, DeviceStatus.READY)
            sim.inject_fault("truncate", on=READ_BASE_INFO)  # half the photo, then nothing
            sim.insert_card(SyntheticCard())
            while READ_BASE_INFO not in sim.commands:
                await asyncio.sleep(0.005)
            assert await asyncio.to_thread(sim.wait_drained)
            sim.unplug()
            lost = await status_of(events, DeviceStatus.DISCONNECTED)
            assert lost.problem is not None and "PHOTO" not in lost.problem.detail
            sim.replug()
            sim.insert_card(SyntheticCard())
            assert isinstance(await next_of(events, CardEvent), CardEvent)


def test_card_event_repr_hides_number_and_name() -> None:
    event = CardEvent("110101199001011237", "张*")
    assert "1101" not in repr(event) and "张" not in repr(event) and "1101" not in str(event)
