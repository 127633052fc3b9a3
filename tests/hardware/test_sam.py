"""The SAM protocol as pure functions: commands, reply parsing, resync, text extraction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.base import CardEvent
from hardware.errors import (
    CardDataError,
    SamBadLength,
    SamChecksumError,
    SamFrameError,
    SamGarbage,
    UnsupportedCardType,
)
from hardware.sam import (
    FIND_CARD,
    READ_BASE_INFO,
    SAM_RESET,
    SAM_STATUS,
    SELECT_CARD,
    SamFrameBuffer,
    SamReply,
    build_command,
    build_reply,
    card_from_base_info,
    ignore_data,
    mask_name,
)
from hardware.simulators import PHOTO_MARKER, SYNTHETIC_ADDRESS, SyntheticCard, synthetic_id_number


def test_commands_match_the_bytes_in_public_sources() -> None:
    # DOMAIN.md §1.2 (libzhouyb, heiher, YinanSoft): checksums recomputed there and here.
    assert build_command(SAM_RESET).hex() == "aaaaaa9669000310ffec"
    assert build_command(SAM_STATUS).hex() == "aaaaaa9669000311ffed"
    assert build_command(FIND_CARD).hex() == "aaaaaa96690003200122"
    assert build_command(SELECT_CARD).hex() == "aaaaaa96690003200221"
    assert build_command(READ_BASE_INFO).hex() == "aaaaaa96690003300132"
    assert build_command((0x61, 0xFF), b"\x50").hex() == "aaaaaa9669000461ff50ca"


def test_known_good_replies_from_public_sources_parse() -> None:
    samples = {
        "aaaaaa9669000800009f0000000097": 0x9F,
        "aaaaaa9669000400008084": 0x80,
        "aaaaaa9669000c000090" + "00" * 8 + "9c": 0x90,
        "aaaaaa9669000400008185": 0x81,
        "aaaaaa9669000400004145": 0x41,
        "aaaaaa9669000400009094": 0x90,
        "aaaaaa9669000400006064": 0x60,
    }
    for hex_reply, sw3 in samples.items():
        frames = SamFrameBuffer()
        frames.feed(bytes.fromhex(hex_reply))
        reply = frames.pop(ignore_data)
        assert reply is not None and reply.sw3 == sw3
        assert frames.pending == 0


def test_the_fingerprint_command_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        build_command((0x30, 0x10))


def pop_all(frames: SamFrameBuffer) -> list[SamReply[None] | type[SamFrameError]]:
    out: list[SamReply[None] | type[SamFrameError]] = []
    while True:
        try:
            reply = frames.pop(ignore_data)
        except SamFrameError as exc:
            out.append(type(exc))
            continue
        if reply is None:
            return out
        out.append(reply)


def test_garbage_before_the_preamble_is_skipped_with_a_typed_error() -> None:
    frames = SamFrameBuffer()
    frames.feed(b"\x00\x13\xaa\xaa garbage \x96" + build_reply(0x90))
    result = pop_all(frames)
    assert result[0] is SamGarbage
    assert isinstance(result[-1], SamReply) and result[-1].sw3 == 0x90


def test_a_bad_checksum_is_reported_and_the_next_frame_still_parses() -> None:
    bad = bytearray(build_reply(0x9F, bytes(4)))
    bad[-1] ^= 0x55
    frames = SamFrameBuffer()
    frames.feed(bytes(bad) + build_reply(0x80))
    result = pop_all(frames)
    assert SamChecksumError in result
    assert isinstance(result[-1], SamReply) and result[-1].sw3 == 0x80


def test_an_impossible_length_is_reported_and_skipped() -> None:
    frames = SamFrameBuffer()
    frames.feed(b"\xaa\xaa\xaa\x96\x69\xff\xff" + build_reply(0x90))
    result = pop_all(frames)
    assert result[0] is SamBadLength
    assert isinstance(result[-1], SamReply)


def test_a_truncated_frame_waits_for_more_bytes() -> None:
    reply = build_reply(0x90, bytes(8))
    frames = SamFrameBuffer()
    frames.feed(reply[:9])
    assert frames.pop(ignore_data) is None
    assert frames.pending == 9
    frames.feed(reply[9:])
    assert frames.pop(ignore_data) is not None


def test_a_buffer_full_of_noise_never_overflows() -> None:
    frames = SamFrameBuffer()
    errors = 0
    for _ in range(5):
        frames.feed(b"\x55" * 5000)
        errors += len(pop_all(frames))
    frames.feed(build_reply(0x90))
    assert isinstance(pop_all(frames)[-1], SamReply)
    assert errors > 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0x90, 0x9F, 0x80, 0x81, 0x41, 0x10]), min_size=1, max_size=6),
    st.binary(max_size=40),
    st.data(),
)
def test_any_split_of_replies_with_noise_in_front_gives_the_same_replies(
    codes: list[int], noise: bytes, data: st.DataObject
) -> None:
    stream = noise.replace(b"\xaa", b"") + b"".join(build_reply(c, bytes(c % 9)) for c in codes)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(stream) - 1), max_size=12)))
    frames = SamFrameBuffer()
    replies: list[int] = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        frames.feed(stream[a:b])
        replies += [r.sw3 for r in pop_all(frames) if isinstance(r, SamReply)]
    assert replies == codes


def base_info_reply(card: SyntheticCard) -> bytes:
    return build_reply(0x90, card.base_info())


def test_a_real_size_read_reply_yields_only_number_and_masked_name_and_is_zeroed() -> None:
    card = SyntheticCard(name="欧阳娜娜")
    reply = base_info_reply(card)
    assert len(reply) == 1295  # the size real modules send (DOMAIN.md §1.2)
    frames = SamFrameBuffer()
    frames.feed(reply)
    result = frames.pop(card_from_base_info)
    assert result is not None
    assert result.value == CardEvent(card.id_number, "欧***")
    # The one buffer that held the photo holds zeros now.
    assert PHOTO_MARKER[:8] not in bytes(frames._buffer)
    assert not any(frames._buffer)


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("阿依古丽·买买提", "阿*******")])
def test_names_are_masked_after_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("card", "error"),
    [
        (SyntheticCard(id_number="11010119900101123X"), CardDataError),  # wrong check digit
        (SyntheticCard(id_number="ABC"), CardDataError),
        (SyntheticCard(name=""), CardDataError),
        (SyntheticCard(type_flag="I"), UnsupportedCardType),
    ],
)
def test_unusable_card_text_raises_a_typed_error_that_reveals_nothing(
    card: SyntheticCard, error: type[CardDataError]
) -> None:
    frames = SamFrameBuffer()
    frames.feed(base_info_reply(card))
    with pytest.raises(error) as caught:
        frames.pop(card_from_base_info)
    text = str(caught.value) + repr(caught.value) + caught.value.text.zh + caught.value.text.en
    for secret in (card.id_number, card.name or "\x00", SYNTHETIC_ADDRESS, "PHOTO"):
        assert secret not in text
    assert not any(frames._buffer)  # zeroed even when extraction failed


def test_a_residence_permit_is_read_like_a_resident_card() -> None:
    card = SyntheticCard(type_flag="J", id_number=synthetic_id_number("810000"))
    frames = SamFrameBuffer()
    frames.feed(base_info_reply(card))
    reply = frames.pop(card_from_base_info)
    assert reply is not None and reply.value == CardEvent(card.id_number, "张*")


def test_a_short_read_reply_is_a_card_data_error() -> None:
    frames = SamFrameBuffer()
    frames.feed(build_reply(0x90, b"\x01\x00\x04\x00" + bytes(10)))
    with pytest.raises(CardDataError):
        frames.pop(card_from_base_info)
