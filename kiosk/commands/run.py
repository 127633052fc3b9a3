"""`kiosk run`: the real kiosk from its config file, full screen and hardened."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from pathlib import Path

from kiosk.common.cli import EXIT_OK, EXIT_USAGE
from kiosk.common.logs import configure_logging
from kiosk.core.errors import KioskError
from kiosk.station.config import resolve_config


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run", help="run the kiosk (touch screen, devices, backend) from its config file",
        description="Run the kiosk from its config file: full screen, hardened, devices and backend as configured.",
    )
    parser.add_argument("--config", type=Path,
                        help="config file (default $XINYI_CONFIG or /etc/xinyi-kiosk/kiosk.toml)")
    parser.add_argument("--windowed", action="store_true", help="not full screen (for trying it on a desktop)")
    parser.add_argument("--hash-pin", action="store_true",
                        help="read a staff PIN from the terminal, print its staff_pin_hash line, and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.hash_pin:
        return _hash_pin()
    try:
        config = resolve_config(args.config)
    except KioskError as error:
        print(f"kiosk run: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    from kiosk.ui.env import configure_kivy

    configure_kivy(size=(800, 480), fullscreen=not args.windowed, offscreen=False, config_file=True,
                   kivy_home=config.data_dir / "kivy" if config.data_dir.is_dir() else None)
    try:
        return asyncio.run(_run(config))
    except KeyboardInterrupt:
        return 130


async def _run(config: object) -> int:
    from kiosk.adapters.speech import Speaker
    from kiosk.station.assembly import build_station
    from kiosk.station.config import KioskConfig
    from kiosk.ui.app import KioskApp, run_app

    assert isinstance(config, KioskConfig)
    configure_logging("kiosk")
    try:
        station = build_station(config)
    except KioskError as error:
        print(f"kiosk run: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    from kiosk.adapters.watchdog import SystemdNotifier

    notifier = SystemdNotifier()
    try:
        interval = notifier.watchdog_interval()
    except KioskError as error:
        print(f"kiosk run: {error.detail}", file=sys.stderr)
        await station.aclose()
        return EXIT_USAGE
    app = KioskApp(
        station.runtime,
        hardened=True,
        # A site's preset may turn reading results aloud on at a later sync.
        speaker=Speaker() if config.speech or config.speak_results or config.site else None,
        on_ready=lambda: notifier.ready("idle screen up"),
        heartbeat=(notifier.ping, interval) if interval else None,
    )
    station.sync.start()
    if station.heartbeat is not None:
        station.heartbeat.start()  # the fleet view's news of this kiosk (kiosk/adapters/heartbeat_sender.py)
    # systemd stops the kiosk with SIGTERM: end the session (wiping it), flush counters and
    # say STOPPING instead of dying mid-write; SDL would otherwise swallow the signal.
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, app.stop)
    try:
        await run_app(app)
    finally:
        notifier.stopping("kiosk stopping")
        await station.aclose()
    return EXIT_OK


def _hash_pin() -> int:
    from kiosk.session.staff_pin import hash_pin

    pin = getpass.getpass("staff PIN (4-12 digits): ")
    if getpass.getpass("again: ") != pin:
        print("kiosk run: the two PINs differ", file=sys.stderr)
        return EXIT_USAGE
    try:
        print(f'staff_pin_hash = "{hash_pin(pin)}"')
    except ValueError as error:
        print(f"kiosk run: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
