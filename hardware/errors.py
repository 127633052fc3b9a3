"""Device errors: one family for every driver, each carrying the words a person sees.

`detail` is for staff and logs (English, technical); `text` is what the kiosk or the field
technician reads. Neither ever holds a payload, an identifier, a name or raw frame bytes: only
paths, baud rates, status codes and lengths.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText


class DeviceError(KioskError):
    """Base of every expected hardware failure."""

    TEXT: ClassVar[LocalText] = LocalText(
        "设备出现问题，请联系工作人员。", "A device has a problem. Please ask the staff."
    )

    def __init__(self, detail: str, text: LocalText | None = None) -> None:
        super().__init__(detail, text if text is not None else self.TEXT)


class PortNotFound(DeviceError):
    """The port path (or by-id name, or USB VID:PID) does not exist right now."""

    TEXT = LocalText(
        "未找到设备：请检查数据线是否插好。", "Device not found: check that its cable is plugged in."
    )


class PortUnavailable(DeviceError):
    """The port exists but cannot be opened (permissions, busy, not a serial port)."""

    TEXT = LocalText(
        "设备无法打开：请检查权限（dialout 组）或是否被其他程序占用。",
        "The device cannot be opened: check permissions (dialout group) or whether another "
        "program is using it.",
    )


class DeviceDisconnected(DeviceError):
    TEXT = LocalText(
        "设备已断开，正在重新连接……", "The device was disconnected; reconnecting..."
    )


class DeviceNotResponding(DeviceError):
    """The port opened but the module never answered (wrong baud, wrong device, dead module)."""

    TEXT = LocalText(
        "读卡器没有应答：请检查读卡器电源、接线和波特率。",
        "The card reader does not answer: check its power, wiring and baud rate.",
    )


class ScanTooLong(DeviceError):
    TEXT = LocalText(
        "这个码太长，无法识别。请出示正确的二维码。",
        "This code is too long to be read. Please show the right QR code.",
    )


class SamFrameError(DeviceError):
    """A frame from the ID-card module that cannot be trusted; the driver resynchronises."""

    TEXT = LocalText(
        "读卡通信出错，请重新放置证件。", "Card reader communication error; please place the card again."
    )


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
    TEXT = LocalText(
        "未能读取证件，请将证件平放在读卡区不要移动。",
        "The card could not be read. Place it flat on the reader and hold it still.",
    )


class CardDataError(DeviceError):
    """The card text could not be understood; never says what the text was."""

    TEXT = LocalText(
        "证件信息无法识别，请重新放置证件或到人工窗口办理。",
        "The card's data cannot be understood. Place it again or go to the service counter.",
    )


class UnsupportedCardType(CardDataError):
    TEXT = LocalText(
        "暂不支持这种证件，请到人工窗口办理。",
        "This kind of card is not supported yet. Please go to the service counter.",
    )


class PrinterError(DeviceError):
    TEXT = LocalText(
        "凭条打印失败，请向工作人员索取。", "The slip could not be printed. Please ask the staff for it."
    )


class SlipContainsIdentifier(PrinterError):
    """A slip text looked like a personal identifier; the printer refuses to print it."""
