"""Tell systemd how the kiosk is doing: ready, alive, stopping (sd_notify over $NOTIFY_SOCKET).

kiosk.service is Type=notify with WatchdogSec=: systemd counts the app as started once it sends
READY=1, and restarts it when WATCHDOG=1 stops arriving. The app's main loop calls `ping()`
every `watchdog_interval()` seconds (half the timeout, as sd_watchdog_enabled(3) advises), so
a frozen loop, not just a dead process, brings the kiosk back. Outside systemd (NOTIFY_SOCKET
unset: tests, the demo, a developer's shell) every call does nothing.

Messages carry no personal data: STATUS is for `systemctl status`, in English, one line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import sdnotify

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

_MAX_STATUS_CHARS = 200
_WHOLE_NUMBER = re.compile(r"[0-9]+")


class WatchdogSettingError(KioskError):
    """systemd's WATCHDOG_USEC is not a positive whole number of microseconds."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"WATCHDOG_USEC {problem}",
            message("adapters.watchdog.text"),
        )


class SystemdNotifier:
    """sd_notify for the kiosk's main loop; a no-op when not started by systemd."""

    def __init__(self) -> None:
        # Like sdnotify, read the process environment once: systemd sets it before exec.
        self._environ: Mapping[str, str] = os.environ
        self._notifier: sdnotify.SystemdNotifier | None = None
        if self._environ.get("NOTIFY_SOCKET"):
            self._notifier = sdnotify.SystemdNotifier()

    @property
    def enabled(self) -> bool:
        """True when there is a notify socket to report to."""
        return self._notifier is not None

    def ready(self, status: str | None = None) -> None:
        """The idle screen is up: systemd now counts the service as started."""
        self._send("READY=1", status)

    def ping(self) -> None:
        """The main loop is still turning; call at least every watchdog_interval() seconds."""
        self._send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> None:
        """Shutting down on purpose (SIGTERM): systemd should not count this as a crash."""
        self._send("STOPPING=1", status)

    def status(self, status: str) -> None:
        """A one-line English state for `systemctl status` (never an identifier or a name)."""
        self._send(None, status)

    def watchdog_interval(self) -> float | None:
        """Seconds between pings (half of WATCHDOG_USEC), or None when no watchdog applies.

        None also when WATCHDOG_PID names another process: the watchdog is then not ours.
        """
        raw = self._environ.get("WATCHDOG_USEC", "").strip()
        if not raw:
            return None
        owner = self._environ.get("WATCHDOG_PID", "").strip()
        if owner and owner != str(os.getpid()):
            return None
        # Not str.isdigit(): it accepts "²" and other digits int() refuses.
        if not _WHOLE_NUMBER.fullmatch(raw):
            raise WatchdogSettingError("is not a whole number")
        microseconds = int(raw)
        if microseconds <= 0:
            raise WatchdogSettingError("is not positive")
        return microseconds / 2 / 1_000_000

    def _send(self, assignment: str | None, status: str | None = None) -> None:
        if self._notifier is None:
            return
        lines = [assignment] if assignment else []
        if status:
            lines.append("STATUS=" + _one_line(status))
        if lines:
            self._notifier.notify("\n".join(lines))


def _one_line(text: str) -> str:
    """sdnotify encodes latin-1 and a newline would start a new assignment: keep plain ASCII."""
    flat = " ".join(text.split())
    return flat.encode("ascii", "replace").decode("ascii")[:_MAX_STATUS_CHARS]
