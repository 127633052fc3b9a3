"""Device drivers behind one small interface (hardware.base), each with a pty simulator.

Public names for the session flow and `kiosk demo`:
SerialScanner, IdCardReader, SlipPrinter (drivers); ScanEvent, CardEvent, StatusEvent,
DeviceStatus, Device (the interface); DeviceError and subclasses (hardware.errors);
SimulatedScanner, SimulatedCardReader, SimulatedPrinter, SyntheticCard (hardware.simulators).
"""

from hardware.base import CardEvent, Device, DeviceEvent, DeviceStatus, ScanEvent, StatusEvent
from hardware.errors import DeviceError
from hardware.idcard import IdCardReader
from hardware.printer import DecisionSlip, HelpSlip, SlipCriterion, SlipPrinter
from hardware.scanner import SerialScanner

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
