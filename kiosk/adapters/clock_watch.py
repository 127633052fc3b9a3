"""The kiosk clock's skew against the server, as last measured and still true now.

Each sync measures the skew from the answer's ``Date`` header (kiosk/adapters/clock_skew.py).
Between two syncs the clock may be corrected (NTP catching up after a boot without a network):
the wall clock then moves by more, or less, than the monotonic clock, and that difference is
added to the measured skew, so a corrected clock stops counting as wrong at once instead of an
hour later at the next sync.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from kiosk.adapters.clock_skew import skew_seconds


class ClockWatch:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._measured: tuple[float, datetime, float] | None = None  # skew, wall and monotonic then

    def record(self, date_header: str | None, local_now: datetime) -> float | None:
        """Measure from one answer; an answer without a usable Date keeps the last measurement."""
        skew = skew_seconds(date_header, local_now)
        if skew is not None:
            self._measured = (skew, local_now, self._monotonic())
        return skew

    def skew(self, local_now: datetime) -> float | None:
        """Seconds the kiosk's clock is ahead of the server's now (negative: behind); None if
        it was never measured."""
        if self._measured is None:
            return None
        skew, wall_then, monotonic_then = self._measured
        jumped = (local_now - wall_then).total_seconds() - (self._monotonic() - monotonic_then)
        return skew + jumped
