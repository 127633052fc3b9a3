"""A kiosk process for the crash tests: logging as a kiosk sets it up, one session, then a crash.

    python session_child.py MODE BACKEND_URL DATA_DIR PAYLOAD

MODE:
  sigkill      scan PAYLOAD, print "CHECKING" once the check is under way, and wait to be killed
  task-bug     the checker has a bug whose message quotes the subject; the failed task is
               dropped unretrieved (what the UI loop does) and the process exits
  top-bug      the same bug escapes to the top of the program and ends it with a traceback
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from pathlib import Path
from typing import Any

from kiosk.common.logs import configure_logging
from kiosk.core.credentials import Presentation
from kiosk.core.decision_records import Decision
from kiosk.core.text import Locale
from kiosk.session.flow_view import FlowState
from tests.privacy.harness import BUSINESS_BENEFIT, start_kiosk


class BuggyChecker:
    """A checker with the kind of bug that quotes what it was working on."""

    def __init__(self, online: Any) -> None:
        self.online = online

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        routes: dict[str, str] = {}
        return routes[presentation.subject.value]  # type: ignore[return-value]  # KeyError: the value


async def main(mode: str, url: str, data_dir: Path, payload: str) -> None:
    kiosk = await start_kiosk(url, data_dir, sync_first=False,
                              online_wrapper=BuggyChecker if mode != "sigkill" else None)
    flow = kiosk.flow
    kiosk.begin(BUSINESS_BENEFIT)
    if mode == "top-bug":
        task = flow.present(payload)
        assert task is not None
        await task  # the KeyError leaves main() and asyncio.run()
    kiosk.scanner.present(payload.encode("utf-8"))
    if mode == "sigkill":
        await kiosk.wait_for((FlowState.CHECKING,))
        print("CHECKING", flush=True)
        await asyncio.sleep(60)
    await kiosk.wait_for((FlowState.ERROR,))
    flow.finish()
    await asyncio.sleep(0.05)
    gc.collect()  # the failed check task is collected: asyncio reports it was never retrieved
    await kiosk.aclose()


if __name__ == "__main__":
    configure_logging("kiosk", logging.DEBUG)
    mode, url, data, scanned = sys.argv[1:5]
    asyncio.run(main(mode, url, Path(data), scanned))
