"""`kiosk doctor`: what serial devices are there, do the configured ones answer, what to check.

Written for a field technician: each finding is a plain sentence, each problem comes with the
next thing to look at. With a config file (or --data-dir) it also checks the data folder: that
it can be written, has room for a policy bundle, and that the last sync saved what it fetched.
Exit 0 when everything checked is fine, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.errors import DeviceError, PortNotFound, PortUnavailable, SamStatusError
from hardware.idcard import IdCardReader, SamChannel
from hardware.ports import BY_ID_DIR, SerialLink, list_serial_ports, resolve_port

UDEV_RULES = Path("/etc/udev/rules.d/99-xinyi-kiosk.rules")
STANDARD_PORTS = {"scanner": "/dev/xinyi-scanner", "idcard": "/dev/xinyi-idcard"}


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # scanner | idcard | printer
    port: str
    baud: int | None
    source: str  # where the setting came from


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the serial devices and say what to fix",
        description="List serial ports, open the configured scanner, ID-card reader and printer, "
        "and explain what was found. Exit 0 when every configured device answers.",
    )
    parser.add_argument("--scanner", metavar="PATH", help="scanner port (overrides the config)")
    parser.add_argument("--idcard", metavar="PATH", help="ID-card reader port")
    parser.add_argument("--printer", metavar="PATH", help="slip printer port")
    parser.add_argument("--config", metavar="FILE", type=Path,
                        help="config file (default: $XINYI_CONFIG or /etc/xinyi-kiosk/kiosk.toml)")
    parser.add_argument("--data-dir", metavar="PATH", type=Path,
                        help="kiosk data folder to check (default: the config's data_dir)")
    parser.add_argument("--timeout", type=float, default=0.5,
                        help="seconds to wait for the card reader at each baud rate")
    parser.set_defaults(run=run)


def _configured(args: argparse.Namespace) -> tuple[list[Target], list[str]]:
    """Devices to check: options first, then the config file, then the standard udev names."""
    notes: list[str] = []
    from_options = [Target(kind, getattr(args, kind), None, "command line")
                    for kind in ("scanner", "idcard", "printer") if getattr(args, kind)]
    if from_options:
        return from_options, notes
    try:
        from kiosk.station.config import resolve_config  # the kiosk's own loader, strict as at start-up

        config = resolve_config(args.config)
    except ImportError:
        config = None
    except Exception as exc:  # ConfigError and friends: say which key, carry on with defaults
        notes.append(f"The config file could not be used: {getattr(exc, 'detail', exc)}")
        config = None
    targets = []
    if config is not None:
        for kind in ("scanner", "idcard", "printer"):
            device = getattr(config, kind)
            if device.port:
                targets.append(Target(kind, device.port, device.baud, config.origin))
    if not targets:
        notes.append("No device is configured; checking the standard names the udev rules give.")
        targets = [Target(k, p, None, "standard name") for k, p in STANDARD_PORTS.items()]
    return targets, notes


def _describe_ports() -> list[str]:
    lines = []
    ports = list_serial_ports()
    if not ports:
        lines.append("No serial ports found. Plug the scanner / card reader in; a USB device "
                     "should appear as /dev/ttyACM* or /dev/ttyUSB* (see `dmesg | tail`).")
    for port in ports:
        usb = f" USB {port.usb_id}" if port.usb_id else ""
        names = f" also {', '.join(port.by_id)}" if port.by_id else ""
        lines.append(f"  {port.device}: {port.description}{usb}{names}")
    if not BY_ID_DIR.is_dir():
        lines.append(f"  ({BY_ID_DIR} does not exist: no USB serial device is plugged in)")
    return lines


def _path_advice(target: Target) -> list[str]:
    lines = []
    try:
        path = resolve_port(target.port)
    except PortNotFound as exc:
        return [f"  {exc.detail}. Check the USB id with `lsusb` and the cable."]
    if os.path.islink(path):
        real = os.path.realpath(path)
        lines.append(f"  {path} is a link to {real}.")
        if not os.path.exists(real):
            lines.append("  The link points at nothing: the device was unplugged, or the udev "
                         "rule matched an old device. Replug it and run `udevadm trigger`.")
    elif not os.path.exists(path):
        hint = " Are the udev rules installed?" if path.startswith("/dev/xinyi-") else ""
        lines.append(f"  {path} does not exist. Check the cable and the path in the config.{hint}")
        if path.startswith("/dev/xinyi-") and not UDEV_RULES.exists():
            lines.append(f"  {UDEV_RULES} is missing: copy config/udev/99-xinyi-kiosk.rules "
                         "there, then `udevadm control --reload && udevadm trigger`.")
    elif not os.access(path, os.R_OK | os.W_OK):
        lines.append(f"  {path} exists but this user may not use it: add the kiosk user to the "
                     "`dialout` group (then log in again).")
    return lines


async def _check_card_reader(target: Target, timeout: float) -> tuple[bool, str]:
    bauds = (target.baud,) if target.baud else (115200, 9600)
    reader = IdCardReader(target.port, bauds=bauds, command_timeout=timeout)
    link = SerialLink.open(target.port, bauds[0])
    channel = SamChannel(link, asyncio.get_running_loop())
    try:
        baud = await reader.probe(channel, link)
    except SamStatusError as exc:
        return False, (f"The card reader answered but reports a fault ({exc.detail}). Power it "
                       "off and on; if it stays, the SAM module needs service.")
    except DeviceError as exc:
        rates = " and ".join(str(b) for b in bauds)
        return False, (f"The port opened but no ID-card module answered at {rates} baud "
                       f"({exc.detail}). Check that this is the card reader's port (not the "
                       "scanner's), that the reader has power, and its baud rate.")
    finally:
        channel.close()
    return True, f"The ID-card reader answered at {baud} baud and its SAM module is fine."


def _check(target: Target, timeout: float) -> tuple[bool, list[str]]:
    try:
        if target.kind == "idcard":
            ok, finding = asyncio.run(_check_card_reader(target, timeout))
            return ok, [f"  {finding}"]
        link = SerialLink.open(target.port, target.baud or 9600)
        link.close()
    except PortNotFound as exc:
        return False, [f"  Not found ({exc.detail}).", *_path_advice(target)]
    except PortUnavailable as exc:
        return False, [f"  Cannot be opened ({exc.detail}).", *_path_advice(target)]
    except DeviceError as exc:
        return False, [f"  Problem: {exc.detail}."]
    if target.kind == "scanner":
        return True, ["  The port opens. A scanner stays silent until it reads a code: run "
                      f"`kiosk listen --device scanner --port {target.port}` and scan a test code."]
    return True, ["  The port opens. Paper and cover are asked before every slip; print one from a "
                  "result (Print slip) to see paper and alignment."]


def _data_folder_to_check(args: argparse.Namespace) -> Path | None:
    if args.data_dir is not None:
        return Path(args.data_dir)
    try:
        from kiosk.station.config import resolve_config

        config = resolve_config(args.config)
    except Exception:  # a broken config is reported with the devices above
        return None
    return config.data_dir if config.origin != "(defaults)" else None


def _check_data_folder(folder: Path) -> tuple[bool, list[str]]:
    """Can the kiosk keep its policy bundle here? A sync that cannot save is no sync."""
    from kiosk.adapters.atomic_file import write_atomic
    from kiosk.adapters.store import STATE_FILE, Store
    from kiosk.core.bundle import MAX_BUNDLE_BYTES

    if not folder.is_dir():
        return False, [f"  {folder} does not exist or is not a folder: create it, owned by the kiosk user."]
    probe = folder / ".doctor-probe"
    try:
        write_atomic(probe, b"probe")
        probe.unlink()
    except OSError as error:
        return False, [f"  {folder} cannot be written ({error.strerror}): policy updates cannot be "
                       "saved. Check the owner and permissions, and that the disk is mounted read-write."]
    lines = ["  The folder can be written."]
    ok = True
    free = shutil.disk_usage(folder).free
    if free < 2 * MAX_BUNDLE_BYTES:
        ok = False
        lines.append(f"  Only {free // (1024 * 1024)} MiB free: a policy bundle may need "
                     f"{2 * MAX_BUNDLE_BYTES // (1024 * 1024)} MiB while it is replaced. Free some space.")
    if (folder / STATE_FILE).exists() and Store(folder).get_state("last_sync_outcome") == "not_saved":
        ok = False
        lines.append("  The last sync fetched a policy bundle but could not save it: after a restart "
                     "the kiosk would be without it. Fix the folder, then run `kiosk sync`.")
    return ok, lines


def run(args: argparse.Namespace) -> int:
    print("Serial ports on this machine:")
    for line in _describe_ports():
        print(line)
    targets, notes = _configured(args)
    for note in notes:
        print(note)
    all_ok = True
    names = {"scanner": "QR scanner", "idcard": "ID-card reader", "printer": "slip printer"}
    for target in targets:
        print(f"{names[target.kind]} at {target.port} (from {target.source}):")
        ok, lines = _check(target, args.timeout)
        all_ok = all_ok and ok
        for line in lines:
            print(line)
        print("  OK" if ok else "  NOT OK")
    folder = _data_folder_to_check(args)
    if folder is not None:
        print(f"Data folder {folder}:")
        ok, lines = _check_data_folder(folder)
        all_ok = all_ok and ok
        for line in lines:
            print(line)
        print("  OK" if ok else "  NOT OK")
    print("All configured devices answer." if all_ok else "Something needs attention (above).")
    return 0 if all_ok else 1
