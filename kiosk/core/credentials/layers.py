"""The outer layers of a signed credential: text, prefix, base45, zlib, strict CBOR.

Each function undoes one layer of ``PREFIX: + base45(zlib(COSE_Sign1))`` (the EU DCC container)
and raises CredentialError naming its step. Limits are enforced while decoding: inflation stops
at the limit instead of expanding a zlib bomb, and CBOR is read with a depth limit, without
duplicate keys, without the tags that make small input costly, and with trailing bytes refused.
"""

from __future__ import annotations

import io
import zlib
from typing import Literal

import cbor2

from kiosk.core.credentials.errors import CredentialError

# Tags whose decoding costs more than their size suggests or builds shared/cyclic graphs:
# bignums (2, 3), decimal fraction and bigfloat (4, 5), string references (25, 256), shared
# references (28, 29), rational (30), regular expression (35), MIME message (36).
_REFUSED_TAGS = (2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 256)


def _refuse_tag(decoder: object, immutable: bool) -> object:
    raise CredentialError("cose", "CBOR tag not accepted")


_SEMANTIC_DECODERS: dict[int, cbor2.SemanticDecoderCallback] = dict.fromkeys(_REFUSED_TAGS, _refuse_tag)


def scanner_text(raw: bytes | str, *, max_bytes: int) -> tuple[str, str]:
    """Scanner bytes as text and the encoding that read them: strict UTF-8, else GB18030
    (Chinese scanners send both). A BOM and the scanner's CR/LF terminator are dropped; spaces
    are kept, since base45 uses them."""
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise CredentialError("too_large", f"payload of {size} bytes is over {max_bytes}")
    if isinstance(raw, str):
        text, encoding = raw, "text"
    else:
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = raw.decode("gb18030"), "gb18030"
            except UnicodeDecodeError:
                raise CredentialError("encoding", "payload is neither UTF-8 nor GB18030") from None
    return text.lstrip("\ufeff").strip("\r\n\t\x00"), encoding


def unprefix(text: str, prefix: str) -> str:
    marker = prefix + ":"
    if not text.startswith(marker):
        raise CredentialError("prefix", "payload does not start with the expected context prefix")
    return text[len(marker) :]


_B45_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INVALID = 0xFF
# digit + 1 -> character (0, the padding, is deleted, never mapped)
_B45_DIGIT_PLUS_ONE = bytes(1) + _B45_ALPHABET + bytes(255 - len(_B45_ALPHABET))
_B45_VALUES = bytes(_B45_ALPHABET.index(c) if c in _B45_ALPHABET else _B45_INVALID for c in range(256))


def decode_base45(text: str) -> bytes:
    """RFC 9285 base45 -> bytes, strict (no stripping, no lower case).

    The ``base45`` package decodes one character at a time and was most of the cost of reading
    a credential (benchmarks/bench_credentials.py); this does the same arithmetic on whole
    slices. tests/test_credentials_properties.py checks it against ``base45.b45decode``.
    """
    if not text.isascii():
        raise CredentialError("base45", "base45 text holds non-ASCII characters")
    values = text.encode("ascii").translate(_B45_VALUES)
    size = len(values)
    if _B45_INVALID in values or size % 3 == 1:
        raise CredentialError("base45", "not valid base45 (RFC 9285)")
    whole = size - size % 3
    groups = whole // 3
    # Each group is low + 45*mid + 2025*high. Read as one little-endian integer, group g's
    # digits sit at bits 24g, 24g+8 and 24g+16; masking each digit stream into 24-bit lanes,
    # one multiply-add per stream computes every group at once (no carries: the largest
    # group, 91124, fits a lane). One integer rather than three halves the work.
    number = int.from_bytes(values[:whole], "little")
    mask = int.from_bytes(b"\xff\x00\x00" * groups, "little")
    total = (number & mask) + 45 * ((number >> 8) & mask) + 2025 * ((number >> 16) & mask)
    words = total.to_bytes(whole, "little")
    if words[2::3].strip(b"\x00"):
        raise CredentialError("base45", "not valid base45 (RFC 9285): group over 65535")
    decoded = bytearray(2 * groups)
    decoded[0::2] = words[1::3]
    decoded[1::2] = words[0::3]
    if whole < size:
        last = values[whole] + 45 * values[whole + 1]
        if last > 0xFF:
            raise CredentialError("base45", "not valid base45 (RFC 9285): last group over 255")
        decoded.append(last)
    return bytes(decoded)


# Exact floor division of every 64-bit lane at once: n // 2025 == (n * 66281) >> 27 for all
# n < 65536, and r // 45 == (r * 2913) >> 17 for all r < 2025 (checked over every value by
# tests/receipts/test_base45.py).
_DIV_2025 = (66281, 27)
_DIV_45 = (2913, 17)
_LOW_37_BITS = (2**37 - 1).to_bytes(8, "little")  # what is left of a lane after >> 27
_LOW_47_BITS = (2**47 - 1).to_bytes(8, "little")  # ... after >> 17
_DIGIT_ONES = b"\x01\x01\x01\x00\x00\x00\x00\x00"


def _lane_divide(lanes: int, divisor: tuple[int, int], lane_mask: int) -> int:
    multiplier, shift = divisor
    # Bits of the lane above land at bit 64 - shift and up of each lane; the mask drops them.
    return ((lanes * multiplier) >> shift) & lane_mask


def encode_base45(data: bytes) -> str:
    """bytes -> RFC 9285 base45, the inverse of decode_base45.

    What ``base45.b45encode`` gives (tests/receipts/test_base45.py checks it), without its loop
    per character: signing a receipt spent more time there than in the signature. Each pair of
    bytes is one 64-bit lane of a big integer; dividing every lane at once by a multiply and a
    shift gives the three digits of all pairs together.
    """
    whole = len(data) - len(data) % 2
    groups = whole // 2
    out = b""
    if groups:
        lanes = bytearray(8 * groups)
        lanes[0::8] = data[1:whole:2]
        lanes[1::8] = data[0:whole:2]
        values = int.from_bytes(lanes, "little")
        high = _lane_divide(values, _DIV_2025, int.from_bytes(_LOW_37_BITS * groups, "little"))
        rest = values - 2025 * high
        mid = _lane_divide(rest, _DIV_45, int.from_bytes(_LOW_47_BITS * groups, "little"))
        low = rest - 45 * mid
        # Each lane's bytes are then low, mid, high and five zero bytes; one added to each digit
        # leaves only the padding zero, which the translation deletes as it maps the digits.
        packed = low + (mid << 8) + (high << 16) + int.from_bytes(_DIGIT_ONES * groups, "little")
        out = packed.to_bytes(8 * groups, "little").translate(_B45_DIGIT_PLUS_ONE, b"\0")
    if whole < len(data):
        out += bytes(_B45_ALPHABET[digit] for digit in divmod(data[-1], 45)[::-1])
    return out.decode("ascii")


def inflate(compressed: bytes, *, max_bytes: int) -> bytes:
    """zlib-inflate at most ``max_bytes``; a stream that would yield more is refused unread."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise CredentialError("decompression", "not a valid zlib stream") from None
    if len(inflated) > max_bytes or inflater.unconsumed_tail:
        raise CredentialError("too_large", f"inflates to more than {max_bytes} bytes")
    if not inflater.eof:
        raise CredentialError("decompression", "zlib stream is truncated")
    if inflater.unused_data:
        raise CredentialError("decompression", "bytes after the end of the zlib stream")
    return inflated


def loads_strict(data: bytes, *, max_depth: int, step: Literal["cose", "claims"] = "cose") -> object:
    """Decode exactly one CBOR item; anything malformed, too deep or trailing is ``step``."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream,
        semantic_decoders=_SEMANTIC_DECODERS,
        max_depth=max_depth,
        allow_duplicate_keys=False,
    )
    try:
        item = decoder.decode()
    except CredentialError as exc:
        raise CredentialError(step, exc.detail) from None
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, LookupError):
        raise CredentialError(step, "malformed CBOR") from None
    if stream.tell() != len(data):
        raise CredentialError(step, "bytes after the end of the CBOR item")
    return item
