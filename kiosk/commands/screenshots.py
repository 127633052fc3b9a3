"""`kiosk screenshots --out DIR`: render every screen in both languages at every target size."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_FAILED = 0, 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "screenshots", help="save every screen, both languages, 800x480 and 1920x1080, both orientations",
        description="Render every kiosk screen offscreen (demo backend and simulated devices) and save PNGs.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.ui.env import configure_kivy

    workdir = Path(tempfile.mkdtemp(prefix="xinyi-screens-"))
    configure_kivy(size=(800, 480), offscreen=True, kivy_home=workdir / "kivy", max_fps=0)
    return asyncio.run(_render(args.out, workdir))


async def _render(out_dir: Path, workdir: Path) -> int:
    from kivy.core.window import Window

    from kiosk.demo_world import start_demo_world
    from kiosk.ui.app import KioskApp
    from kiosk.ui.driver import ScreenDriver
    from kiosk.ui.gallery import Gallery

    world = await start_demo_world(workdir)
    app = KioskApp(world.station.runtime, hardened=True, demo_codes=world.codes_for)
    root = app.build()
    Window.add_widget(root)
    try:
        count = await Gallery(ScreenDriver(app), world, out_dir, print).run()
    except Exception as error:
        print(f"kiosk screenshots: stopped: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        app.detach()
        Window.remove_widget(root)
        await world.aclose()
    print(f"kiosk screenshots: {count} screenshots in {out_dir.resolve()}")
    return EXIT_OK
