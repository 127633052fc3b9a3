"""`kiosk screenshots --out DIR`: render every screen in both languages at every target size."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from kiosk.common.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, demo_installed


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "screenshots", help="save every screen, both languages, 800x480 and 1920x1080, both orientations",
        description="Render every kiosk screen offscreen (demo backend and simulated devices) and save PNGs.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--size", help="only this size, WIDTHxHEIGHT (default: all four)")
    parser.add_argument("--check", action="store_true",
                        help="also check every layout (clipped text, mid-word breaks, small targets); "
                             "exit 1 on a problem")
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
                       "--size", f"{width}x{height}"] + (["--check"] if args.check else [])
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
    return asyncio.run(_render(args.out, workdir, (width, height), check=args.check))


async def _render(out_dir: Path, workdir: Path, size: tuple[int, int], *, check: bool = False) -> int:
    from demo.world import start_demo_world
    from kiosk.adapters.speech import Speaker
    from kiosk.ui.app import KioskApp
    from kiosk.ui.gallery import Gallery
    from kiosk.ui.headless import run_on_window

    world = await start_demo_world(workdir)
    # A speaker that is never pressed here: the speaker button is on every screen shown.
    app = KioskApp(world.station.runtime, hardened=True, demo_codes=world.codes_for, speaker=Speaker())
    galleries: list[Gallery] = []

    def gallery_for(driver: Any) -> Gallery:
        galleries.append(Gallery(driver, world, out_dir, print, check=check))
        return galleries[-1]

    try:
        count = await run_on_window(app, lambda driver: gallery_for(driver).run(size))
    except Exception as error:
        print(f"kiosk screenshots: stopped: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await asyncio.wait_for(world.aclose(), timeout=30)
    print(f"kiosk screenshots: {size[0]}x{size[1]}: {count} screenshots in {out_dir.resolve()}")
    problems = galleries[0].problems if galleries else []
    for problem in problems:
        print(f"layout: {problem}")
    if check:
        print(f"kiosk screenshots: {size[0]}x{size[1]}: {len(problems)} layout problems")
    return EXIT_FAILED if problems else EXIT_OK
