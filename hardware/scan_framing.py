"""Cutting a scanner's byte stream into scans: pure functions of (bytes, arrival time).

A scan ends when the line has been silent for a gap: a short one (`terminator_gap`) when the
bytes so far end with the scanner's terminator, a longer one (`idle_gap`) otherwise. A CR or LF
inside a QR payload is therefore not a frame end — the rest of the payload follows within
microseconds, well inside the gap (the split-in-two bug of DOMAIN.md §2). The terminator is
removed once from the end; the AIM symbology identifier (`]Q1`...) is removed from the front
and reported; ECI-escaped scans (`]Q2`, `]Q4`, `]Q6`, `]d4`-`]d6`) are un-escaped.

Scanners are configured for CR but some send CR LF (or LF) whatever the setting, and the LF may
come in a later write. So when a terminator is configured, a trailing CR LF, CR or LF is the
terminator too (CR LF as one), and a frame that is nothing but a line end (the LF of a CR LF
after a scan that already ended at its CR) is no scan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

# The largest QR code (version 40-L) holds 4296 alphanumeric characters, which is the mode a
# base45 credential uses; add room for the AIM prefix, ECI escapes and the terminator.
MAX_SCAN_BYTES = 4608

TERMINATORS: dict[str, bytes] = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "none": b""}
_LINE_ENDS = (b"\r\n", b"\r", b"\n")  # longest first: CR LF is one terminator


@dataclass(frozen=True, slots=True, repr=False)
class RawScan:
    data: bytes  # terminator removed, AIM prefix still present

    def __repr__(self) -> str:
        return f"RawScan(length={len(self.data)})"


@dataclass(frozen=True, slots=True)
class OversizedScan:
    length: int  # how many bytes were thrown away


Framed = RawScan | OversizedScan


class ScanFramer:
    """Incremental framer. `feed` and `flush_due` return the scans completed so far."""

    def __init__(
        self,
        *,
        terminator: bytes = b"\r",
        terminator_gap: float = 0.03,
        idle_gap: float = 0.15,
        max_length: int = MAX_SCAN_BYTES,
        is_complete: Callable[[bytes], bool] | None = None,
    ) -> None:
        if terminator_gap < 0 or idle_gap <= 0 or max_length <= 0:
            raise ValueError("gaps must be >= 0 (idle gap > 0) and max_length > 0")
        self._terminator = terminator
        self._endings = _LINE_ENDS if terminator in _LINE_ENDS else (terminator, *_LINE_ENDS)
        self._terminator_gap = terminator_gap
        self._idle_gap = idle_gap
        self._max_length = max_length
        self._is_complete = is_complete
        self._buffer = bytearray()
        self._overflow = 0  # bytes discarded from the current, oversized frame
        self._last_byte_at: float | None = None

    def _terminator_length(self, data: bytes | bytearray) -> int:
        """How many bytes at the end of ``data`` are the scanner's terminator (0: none)."""
        if not self._terminator:
            return 0
        for ending in self._endings:
            if data.endswith(ending):
                return len(ending)
        return 0

    def _gap(self) -> float:
        return self._terminator_gap if self._terminator_length(self._buffer) else self._idle_gap

    def deadline(self) -> float | None:
        """When the pending frame ends if no byte arrives before then; None when idle."""
        if self._last_byte_at is None:
            return None
        return self._last_byte_at + self._gap()

    def feed(self, chunk: bytes, now: float) -> list[Framed]:
        done = self.flush_due(now)
        if not chunk:
            return done
        self._last_byte_at = now
        if self._overflow:
            self._overflow += len(chunk)
        elif len(self._buffer) + len(chunk) > self._max_length:
            self._overflow = len(self._buffer) + len(chunk)
            self._buffer.clear()
        else:
            self._buffer += chunk
        if not self._overflow and (self._terminator_gap == 0 or self._ends_complete()):
            done.extend(self._finish())
        return done

    def _ends_complete(self) -> bool:
        """A terminated frame that already is a whole single-line payload needs no gap.

        The gap exists for QR payloads that carry CR/LF themselves; the codes this kiosk reads
        never do, so when the caller recognises one the scan ends at its terminator and the
        person sees the answer 30 ms sooner.
        """
        ending = self._terminator_length(self._buffer)
        if self._is_complete is None or not ending:
            return False
        _, payload, _ = split_aim(bytes(self._buffer[:-ending]))
        return self._is_complete(payload)

    def flush_due(self, now: float) -> list[Framed]:
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        return self._finish()

    def _finish(self) -> list[Framed]:
        self._last_byte_at = None
        if self._overflow:
            length, self._overflow = self._overflow, 0
            return [OversizedScan(length)]
        data = bytes(self._buffer)
        self._buffer.clear()
        ending = self._terminator_length(data)
        if ending:
            data = data[:-ending]
        return [RawScan(data)] if data else []

    def close(self) -> list[Framed]:
        """The line went away: a frame that already ended with its terminator is complete and
        is returned; anything else was cut off mid-frame and is forgotten."""
        if not self._overflow and self._terminator_length(self._buffer):
            return self._finish()
        self.discard()
        return []

    def discard(self) -> None:
        """Forget a partial frame (the device went away in the middle of it)."""
        self._buffer.clear()
        self._overflow = 0
        self._last_byte_at = None


# AIM modifiers that announce the ECI protocol (escaped backslashes, \nnnnnn designators):
# QR Code 2/4/6 (Zebra DS3678 / DS457 PRG tables E-2/E-3); Data Matrix 4/5/6 (background).
_ECI_MODIFIERS = {"Q": "246", "d": "456"}
_AIM = re.compile(rb"\A\][\x21-\x7e][0-9A-Za-z]")
_ECI_ESCAPE = re.compile(rb"\\(\\|[0-9]{6})")


def split_aim(data: bytes) -> tuple[str | None, bytes, int | None]:
    """Split `]Xm` off the front; un-escape ECI scans. Returns (symbology, payload, first ECI)."""
    if not _AIM.match(data):
        return None, data, None
    symbology = data[:3].decode("ascii")
    payload = data[3:]
    if symbology[2] not in _ECI_MODIFIERS.get(symbology[1], ""):
        return symbology, payload, None
    first_eci: list[int] = []

    def unescape(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token == b"\\":
            return b"\\"
        if not first_eci:
            first_eci.append(int(token))
        return b""

    payload = _ECI_ESCAPE.sub(unescape, payload)
    return symbology, payload, first_eci[0] if first_eci else None


class RepeatFilter:
    """Counts a code once while it is read again and again within `window` seconds.

    Keeps only a digest of the last scan, never the scan itself. The window slides: a code
    held in front of a scanner in continuous mode is one read until it is away for `window`.
    """

    def __init__(self, window: float = 1.0) -> None:
        self._window = window
        self._last_digest: bytes | None = None
        self._last_seen = 0.0

    def is_repeat(self, symbology: str | None, payload: bytes, now: float) -> bool:
        digest = hashlib.blake2b(
            (symbology or "").encode("ascii") + b"\0" + payload, digest_size=16
        ).digest()
        repeat = digest == self._last_digest and now - self._last_seen < self._window
        self._last_digest = digest
        self._last_seen = now
        return repeat

    def forget(self) -> None:
        self._last_digest = None
