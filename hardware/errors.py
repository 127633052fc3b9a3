"""Device errors: one family for every driver, each carrying the words a person sees.

`detail` is for staff and logs (English, technical); `text` is what the kiosk or the field
technician reads. Neither ever holds a payload, an identifier, a name or raw frame bytes: only
paths, baud rates, status codes and lengths.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText


class DeviceError(KioskError):
    """Base of every expected hardware failure."""

    TEXT: ClassVar[LocalText] = message("hardware.errors.device_error")

    def __init__(self, detail: str, text: LocalText | None = None) -> None:
        super().__init__(detail, text if text is not None else self.TEXT)


class PortNotFound(DeviceError):
    """The port path (or by-id name, or USB VID:PID) does not exist right now."""

    TEXT = message("hardware.errors.port_not_found")


class PortUnavailable(DeviceError):
    """The port exists but cannot be opened (permissions, busy, not a serial port)."""

    TEXT = message("hardware.errors.port_unavailable")


class DeviceDisconnected(DeviceError):
    TEXT = message("hardware.errors.device_disconnected")


class DeviceNotResponding(DeviceError):
    """The port opened but the module never answered (wrong baud, wrong device, dead module)."""

    TEXT = message("hardware.errors.device_not_responding")


class ScanTooLong(DeviceError):
    TEXT = message("hardware.errors.scan_too_long")


class SamFrameError(DeviceError):
    """A frame from the ID-card module that cannot be trusted; the driver resynchronises."""

    TEXT = message("hardware.errors.sam_frame_error")


class SamGarbage(SamFrameError):
    """Bytes that are not part of any frame (noise, another baud rate, a partial frame)."""


class SamBadLength(SamFrameError):
    pass


class SamChecksumError(SamFrameError):
    pass


class SamTruncated(SamFrameError):
    """A frame started but its declared length never arrived within the deadline."""


class SamStatusError(DeviceError):
    """The module answered with a status code that means failure."""

    def __init__(self, sw3: int, meaning: str, text: LocalText | None = None) -> None:
        super().__init__(f"SAM status 0x{sw3:02X} ({meaning})", text)
        self.sw3 = sw3


class UnknownSamStatus(SamStatusError):
    def __init__(self, sw3: int) -> None:
        super().__init__(sw3, "unknown status code")


class CardReadFailed(DeviceError):
    TEXT = message("hardware.errors.card_read_failed")


class CardDataError(DeviceError):
    """The card text could not be understood; never says what the text was."""

    TEXT = message("hardware.errors.card_data_error")


class UnsupportedCardType(CardDataError):
    TEXT = message("hardware.errors.unsupported_card_type")


class PrinterError(DeviceError):
    TEXT = message("hardware.errors.printer_error")


class SlipContainsIdentifier(PrinterError):
    """A slip text looked like a personal identifier; the printer refuses to print it."""


class PrinterOutOfPaper(PrinterError):
    """The printer's paper sensor reports the roll at its end; nothing was sent."""

    TEXT = message("hardware.errors.printer_out_of_paper")


class PrinterOffline(PrinterError):
    """The port opens but the printer does not answer, or says it is off line (cover open)."""

    TEXT = message("hardware.errors.printer_offline")


class PrinterUnplugged(PrinterError):
    """The printer's port is not there (cable out, switched off with its USB adapter)."""

    TEXT = message("hardware.errors.printer_unplugged")
