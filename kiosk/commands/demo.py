"""`kiosk demo`: the whole kiosk on one machine, with nothing to plug in.

Starts the reference backend with demo data on loopback, a simulated scanner and card reader on
real pseudo-terminals, and the touch screen with a panel of demo codes to present. Without a
display it says so and runs a scripted walk-through on an offscreen window instead, saving a
screenshot of every step.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from kiosk.common.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, demo_installed


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the kiosk with a built-in backend and simulated devices",
        description="Run the kiosk with the reference backend (demo data) on loopback and simulated "
        "devices. Without a display, run a scripted walk-through and save screenshots.",
    )
    parser.add_argument("--out", type=Path, default=Path("demo-output"),
                        help="folder for the walk-through's screenshots (default ./demo-output)")
    parser.add_argument("--headless", action="store_true", help="walk through offscreen even if there is a display")
    parser.add_argument("--window", action="store_true", help="open a window even without DISPLAY (SDL decides)")
    parser.add_argument("--size", default="800x480", help="window size WIDTHxHEIGHT (default 800x480)")
    parser.add_argument("--speech", action="store_true", help='offer "read aloud" on results (espeak-ng)')
    parser.set_defaults(run=run)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    size = (int(width), int(height))
    if not all(200 <= n <= 8000 for n in size):
        raise ValueError("size out of range")
    return size


def run(args: argparse.Namespace) -> int:
    if not demo_installed("kiosk demo"):
        return EXIT_USAGE
    from kiosk.ui.env import configure_kivy, has_display

    try:
        size = _size(args.size)
    except ValueError:
        print(f"kiosk demo: --size must look like 800x480, not {args.size!r}", file=sys.stderr)
        return 2
    interactive = (has_display() or args.window) and not args.headless
    if not interactive:
        why = "--headless was given" if args.headless else "no display found (DISPLAY and WAYLAND_DISPLAY are unset)"
        print(f"kiosk demo: {why}: running a scripted walk-through on an offscreen window instead.")
        print(f"kiosk demo: screenshots of every step go to {args.out.resolve()}")
    workdir = Path(tempfile.mkdtemp(prefix="xinyi-demo-"))
    configure_kivy(size=size, offscreen=not interactive, kivy_home=workdir / "kivy", max_fps=60 if interactive else 0)
    try:
        return asyncio.run(_demo(args, workdir, interactive=interactive))
    except KeyboardInterrupt:
        return 130


async def _demo(args: argparse.Namespace, workdir: Path, *, interactive: bool) -> int:
    from demo.world import start_demo_world

    print("kiosk demo: starting the reference backend (demo data) and simulated devices ...")
    world = await start_demo_world(workdir, speech=args.speech)
    print(f"kiosk demo: backend on {world.url}; scanner on {world.scanner.port_path}; "
          f"card reader on {world.card_reader.port_path}; staff PIN {world.staff_pin}")
    try:
        if interactive:
            return await _interactive(world, args)
        return await _walk_through(world, args.out)
    finally:
        await asyncio.wait_for(world.aclose(), timeout=30)


def _app(world: Any, *, hardened: bool, speech: bool) -> Any:
    from kiosk.adapters.speech import Speaker
    from kiosk.ui.app import KioskApp

    return KioskApp(world.station.runtime, hardened=hardened, demo_codes=world.codes_for,
                    speaker=Speaker() if speech else None)


async def _interactive(world: Any, args: argparse.Namespace) -> int:
    from kiosk.ui.app import run_app

    # The demo runs in a window people can close; the kiosk itself (kiosk run) refuses to.
    app = _app(world, hardened=False, speech=args.speech)
    print("kiosk demo: the window is open; choose a benefit, then press a demo code. "
          "Close the window or press Ctrl+C to stop.")
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, app.stop)  # SDL would otherwise swallow Ctrl+C
    await run_app(app)
    return EXIT_OK


async def _walk_through(world: Any, out_dir: Path) -> int:
    from kiosk.ui.headless import run_on_window
    from kiosk.ui.walkthrough import WalkThrough

    app = _app(world, hardened=True, speech=False)
    try:
        shots = await run_on_window(
            app, lambda driver: WalkThrough(driver, world, out_dir, lambda line: print(line, flush=True)).run()
        )
    except Exception as error:  # the walk-through is a demo: report the step, do not hide it
        print(f"kiosk demo: the walk-through stopped: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"kiosk demo: done; {len(shots)} screenshots in {out_dir.resolve()}")
    return EXIT_OK
