"""Spoken results (optional): espeak-ng reads the outcome aloud, offline, in zh-CN or English."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from kiosk.core.text import Locale

log = logging.getLogger("kiosk.adapters.speech")
VOICES: dict[str, str] = {"zh-CN": "cmn", "en": "en"}
MAX_SPOKEN_CHARS = 2000


class Speaker:
    """Runs espeak-ng without a shell; `wav_path` writes audio to a file instead of the speaker.

    `stop_now()` is synchronous on purpose: the session's end calls it from a plain callback,
    and the next person must not hear one more word of the previous person's result.
    """

    def __init__(self, program: str = "espeak-ng", *, wav_path: Path | None = None) -> None:
        self.program = shutil.which(program)
        self.wav_path = wav_path
        self._process: asyncio.subprocess.Process | None = None
        self._generation = 0
        self.stops = 0

    @property
    def available(self) -> bool:
        return self.program is not None

    @property
    def speaking(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def say(self, text: str, locale: Locale | str) -> bool:
        if self.program is None or not text.strip():
            return False
        self.stop_now()
        generation = self._generation
        args = [self.program, "-v", VOICES.get(str(locale), "en"), "-s", "150"]
        if self.wav_path is not None:
            args += ["-w", str(self.wav_path)]
        # "--" ends options: the text can never be read as a flag.
        process = await asyncio.create_subprocess_exec(
            *args, "--", text[:MAX_SPOKEN_CHARS], stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if generation != self._generation:
            # Stopped while the process was starting: it must not speak at all.
            process.terminate()
            await process.wait()
            return False
        self._process = process
        code = await process.wait()
        if self._process is process:
            self._process = None
        if code != 0 and generation == self._generation:
            log.warning("espeak-ng exited with %d", code)
        return code == 0 and generation == self._generation

    def stop_now(self) -> None:
        """Silence at once: terminate the running readout and any that is still starting."""
        self._generation += 1
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            self.stops += 1

    async def stop(self) -> None:
        process = self._process
        self.stop_now()
        if process is not None:
            await process.wait()
