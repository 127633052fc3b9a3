"""Device drivers behind one small interface (hardware.base), each with a pty simulator.

Public names for the session flow and `kiosk demo`:
SerialScanner, IdCardReader, SlipPrinter (drivers); ScanEvent, CardEvent, StatusEvent,
DeviceStatus, Device (the interface); DeviceError and subclasses (hardware.errors);
SimulatedScanner, SimulatedCardReader, SimulatedPrinter, SyntheticCard (hardware.simulators).

They are resolved on first use, as kiosk.core's face is: the kiosk imports hardware.errors and
the slip types at every start, and loading every driver with them (the card reader's SAM
protocol, python-stdnum) was start-up time for devices a kiosk may not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from hardware.base import CardEvent, Device, DeviceEvent, DeviceStatus, ScanEvent, StatusEvent
    from hardware.errors import DeviceError
    from hardware.idcard import IdCardReader
    from hardware.printer import DecisionSlip, HelpSlip, SlipCriterion, SlipPrinter
    from hardware.scanner import SerialScanner

_HOME = {
    "hardware.base": ("CardEvent", "Device", "DeviceEvent", "DeviceStatus", "ScanEvent", "StatusEvent"),
    "hardware.errors": ("DeviceError",),
    "hardware.idcard": ("IdCardReader",),
    "hardware.printer": ("DecisionSlip", "HelpSlip", "SlipCriterion", "SlipPrinter"),
    "hardware.scanner": ("SerialScanner",),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "CardEvent",
    "DecisionSlip",
    "Device",
    "DeviceError",
    "DeviceEvent",
    "DeviceStatus",
    "HelpSlip",
    "IdCardReader",
    "ScanEvent",
    "SerialScanner",
    "SlipCriterion",
    "SlipPrinter",
    "StatusEvent",
]


__getattr__ = lazy_names(__name__, _MODULE_OF, globals())
