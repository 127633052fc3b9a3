"""`kiosk simulate scanner|idcard`: a fake device on a pty for a running kiosk or `kiosk listen`.

    kiosk simulate scanner --port /tmp/xinyi-scanner      # type or paste a code, press Enter
    kiosk simulate idcard --port /tmp/xinyi-idcard        # a synthetic card lies on the reader

The port is a symlink to a fresh pseudo-terminal; point the kiosk (or `kiosk listen --port`)
at it. Both run until Ctrl-C or SIGTERM and exit 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stdnum.cn import ric

from hardware.sam import mask_name
from hardware.scan_framing import TERMINATORS
from hardware.simulators import SimulatedCardReader, SimulatedScanner, SyntheticCard
from kiosk.common.cli import EXIT_USAGE


class _Stop(Exception):
    pass


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run a simulated scanner or ID-card reader on a pty",
        description="Create a pseudo-terminal that behaves like the device and a symlink to it.",
    )
    kinds = parser.add_subparsers(dest="simulated", metavar="DEVICE", required=True)

    scanner = kinds.add_parser("scanner", help="each line typed or pasted on stdin is one scan")
    scanner.add_argument("--port", default="/tmp/xinyi-scanner", metavar="LINK")
    scanner.add_argument("--terminator", choices=tuple(TERMINATORS), default="cr")
    scanner.add_argument("--aim", default="]Q1", help="AIM prefix to send ('' for none)")
    scanner.add_argument("--encoding", choices=("utf-8", "gb18030"), default="utf-8",
                         help="bytes the scanner sends for the typed text")
    scanner.add_argument("--hex", action="store_true", help="lines are hex bytes")
    scanner.add_argument("--exit-on-eof", action="store_true",
                         help="stop when stdin ends (default: keep the port until Ctrl-C)")
    scanner.set_defaults(run=run_scanner)

    idcard = kinds.add_parser("idcard", help="present a synthetic resident ID card")
    idcard.add_argument("--port", default="/tmp/xinyi-idcard", metavar="LINK")
    idcard.add_argument("--id-number", help="18 characters (default: a synthetic valid number)")
    idcard.add_argument("--name", default="张三", help="name on the card (max 15 characters)")
    idcard.add_argument("--baud", type=int, default=115200, choices=(9600, 115200))
    idcard.set_defaults(run=run_idcard)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except _Stop:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_scanner(args: argparse.Namespace) -> int:
    aim = args.aim.encode("ascii") if args.aim else None
    terminator = TERMINATORS[args.terminator]
    with SimulatedScanner(args.port) as sim, _stop_on_signals():
        _say(f"scanner simulator: {sim.port_path} -> {sim.tty_name}")
        _say("type or paste a code and press Enter; each line is one scan (Ctrl-C to stop)")
        waited = False
        for raw_line in iter(sys.stdin.buffer.readline, b""):
            line = raw_line.rstrip(b"\r\n")
            if not line:
                continue
            try:
                payload = bytes.fromhex(line.decode("ascii")) if args.hex else (
                    line.decode("utf-8").encode(args.encoding))
            except (UnicodeError, ValueError):
                _say("line skipped: not valid " + ("hex" if args.hex else "UTF-8 text"))
                continue
            if not waited:
                waited = True
                if not sim.reader_attached:
                    _say("waiting for a reader to open the port...")
                    while not sim.reader_attached:
                        time.sleep(0.05)
                time.sleep(0.3)  # the reader flushes its input right after configuring the port
            sim.present(payload, aim=aim, terminator=terminator)
            _say(f"sent {len(payload)} bytes")
        sim.wait_drained(2.0)
        time.sleep(0.3)  # let the reader see the quiet gap that ends the last scan
        if not args.exit_on_eof:
            _say("input ended; the port stays open until Ctrl-C")
            while True:
                signal.pause()
    return 0


def run_idcard(args: argparse.Namespace) -> int:
    id_number = args.id_number or SyntheticCard().id_number
    card = SyntheticCard(name=args.name, id_number=id_number)
    try:
        card.text_block()
    except ValueError as exc:
        _say(f"kiosk simulate idcard: {exc}")
        return EXIT_USAGE
    if not args.name.strip():
        _say("kiosk simulate idcard: --name must not be empty")
        return EXIT_USAGE
    if len(id_number) != 18 or ric.calc_check_digit(id_number.upper()) != id_number[-1].upper():
        _say("warning: this ID number has a bad format or check digit; "
             "the reader driver will report the card as unreadable")
    with SimulatedCardReader(card, link_path=args.port, baud=args.baud) as sim, _stop_on_signals():
        _say(f"ID-card reader simulator: {sim.port_path} -> {sim.tty_name} at {args.baud} baud")
        _say(f"a synthetic card ({mask_name(args.name)}) lies on the reader")
        _say("commands: r = take the card off, i = put it on, Enter = off and on again, "
             "Ctrl-C = stop")
        for raw_line in iter(sys.stdin.readline, ""):
            command = raw_line.strip().lower()
            if command == "r":
                sim.remove_card()
                _say("card taken off")
            elif command == "i":
                sim.insert_card(card)
                _say("card put on")
            elif command == "":
                sim.remove_card()
                time.sleep(1.0)  # long enough for the driver's find-card poll to see it gone
                sim.insert_card(card)
                _say("card taken off and put on again")
            else:
                _say("unknown command; use r, i or Enter")
        while True:
            signal.pause()
    return 0
