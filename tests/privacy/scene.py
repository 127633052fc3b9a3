"""The scene a privacy test module works in: its folders, its captured log, its canaries.

Logs are captured twice: through ``configure_logging`` into a file at DEBUG (what a kiosk
writes: redaction filter applied), and by a raw handler placed before it, which sees each record
before the filter touches it. A canary in the raw capture means code logged a payload (the first
line of defence failed), even if the filter then masked it.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.privacy.canaries import CanarySet, Hit, base_canaries, regular_files, search


class RawRecords(logging.Handler):
    """Every record as code emitted it: message, arguments, exception text, stack."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, str(record.msg), repr(record.args)]
        with contextlib.suppress(Exception):  # a bad format string must not hide the raw parts
            parts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.stack_info:
            parts.append(record.stack_info)
        self.lines.append("\n".join(parts))


@dataclass
class PrivacyScene:
    """What one test module's kiosks may have touched, and the canaries they were handed."""

    root: Path
    log_file: Path
    raw: RawRecords
    canaries: CanarySet = field(default_factory=base_canaries)
    extra_files: list[Path] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "kiosk-data"

    @property
    def temp_dir(self) -> Path:
        return self.root / "process-tmp"

    def places(self) -> list[Path]:
        return list(regular_files([self.data_dir, self.temp_dir, self.root / "more-data", *self.extra_files]))

    def hits(self, caplog: pytest.LogCaptureFixture | None = None, **texts: str | bytes) -> list[Hit]:
        for handler in logging.getLogger().handlers:
            handler.flush()
        all_texts: dict[str, str | bytes] = {"raw log records": "\n".join(self.raw.lines), **texts}
        if caplog is not None:
            all_texts["caplog"] = caplog.text
        return search(self.canaries, files=[self.log_file, *self.places()], texts=all_texts)

    def assert_clean(self, caplog: pytest.LogCaptureFixture | None = None, **texts: str | bytes) -> None:
        found = self.hits(caplog, **texts)
        assert not found, "canaries leaked:\n" + "\n".join(str(hit) for hit in found[:40])
