"""A real browser for the tests: Debian's chromium, headless, driven by Playwright.

Playwright's own browser downloads are never used (`playwright install` is not run): the test
points it at the system's /usr/bin/chromium (./dev installs the `chromium` package), with a
fresh profile and no background traffic, so the only network it sees is the loopback backend.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_page(width: int = 1440, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in a fresh headless chromium; closed (and its profile removed) after."""
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        raise RuntimeError("the browser tests need Debian's chromium: apt-get install chromium (./dev test does)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="xinyi-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
            locale="en-GB",
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()
