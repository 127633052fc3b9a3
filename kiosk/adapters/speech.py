"""Spoken results (optional): espeak-ng reads the outcome aloud, offline, in zh-CN or English."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from kiosk.core.text import Locale

log = logging.getLogger("kiosk.adapters.speech")
VOICES: dict[str, str] = {"zh-CN": "cmn", "en": "en"}


class Speaker:
    """Runs espeak-ng without a shell; `wav_path` writes audio to a file instead of the speaker."""

    def __init__(self, program: str = "espeak-ng", *, wav_path: Path | None = None) -> None:
        self.program = shutil.which(program)
        self.wav_path = wav_path
        self._process: asyncio.subprocess.Process | None = None

    @property
    def available(self) -> bool:
        return self.program is not None

    async def say(self, text: str, locale: Locale | str) -> bool:
        if self.program is None or not text.strip():
            return False
        await self.stop()
        args = [self.program, "-v", VOICES.get(str(locale), "en"), "-s", "150"]
        if self.wav_path is not None:
            args += ["-w", str(self.wav_path)]
        # "--" ends options: the text can never be read as a flag.
        self._process = await asyncio.create_subprocess_exec(
            *args, "--", text[:2000], stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        code = await self._process.wait()
        self._process = None
        if code != 0:
            log.warning("espeak-ng exited with %d", code)
        return code == 0

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            await process.wait()
