"""`kiosk screenshots --out DIR`: render every screen in both languages at every target size."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from kiosk.common.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, demo_installed


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "screenshots", help="save every screen, both languages, 800x480 and 1920x1080, both orientations",
        description="Render every kiosk screen offscreen (demo backend and simulated devices) and save PNGs.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--size", help="only this size, WIDTHxHEIGHT (default: all four)")
    parser.set_defaults(run=run)


# The sizes DESIGN §5 targets: the official 7" touch screen and a full-HD monitor, both ways up.
SIZES: tuple[tuple[int, int], ...] = ((800, 480), (480, 800), (1920, 1080), (1080, 1920))


def run(args: argparse.Namespace) -> int:
    if not demo_installed("kiosk screenshots"):
        return EXIT_USAGE
    # Nothing from kiosk.ui before configure_kivy(): importing it creates the window.
    if args.size is None:
        # One process per size: an offscreen GL window renders cleanly only at the size it was
        # created with, so each size gets a fresh window.
        for width, height in SIZES:
            command = [sys.executable, "-m", "kiosk.cli", "screenshots", "--out", str(args.out),
                       "--size", f"{width}x{height}"]
            if subprocess.run(command, check=False).returncode != EXIT_OK:
                return EXIT_FAILED
        print(f"kiosk screenshots: all sizes done in {args.out.resolve()}")
        return EXIT_OK
    try:
        width, height = (int(n) for n in args.size.lower().split("x"))
    except ValueError:
        print(f"kiosk screenshots: --size must look like 800x480, not {args.size!r}", file=sys.stderr)
        return 2
    from kiosk.ui.env import configure_kivy

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-screens-"))
    configure_kivy(size=(width, height), offscreen=True, kivy_home=workdir / "kivy", max_fps=0)
    return asyncio.run(_render(args.out, workdir, (width, height)))


async def _render(out_dir: Path, workdir: Path, size: tuple[int, int]) -> int:
    from demo.world import start_demo_world
    from kiosk.ui.app import KioskApp
    from kiosk.ui.gallery import Gallery
    from kiosk.ui.headless import run_on_window

    world = await start_demo_world(workdir)
    app = KioskApp(world.station.runtime, hardened=True, demo_codes=world.codes_for)
    try:
        count = await run_on_window(app, lambda driver: Gallery(driver, world, out_dir, print).run(size))
    except Exception as error:
        print(f"kiosk screenshots: stopped: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await asyncio.wait_for(world.aclose(), timeout=30)
    print(f"kiosk screenshots: {size[0]}x{size[1]}: {count} screenshots in {out_dir.resolve()}")
    return EXIT_OK
