"""Fixtures for the privacy suite: a backend holding canary records, a captured log, one data
folder and one temp folder per module, and the search that fails on any canary it finds.

Logs are captured twice: through ``configure_logging`` into a file at DEBUG (what a kiosk
writes: redaction filter applied), and by a raw handler placed before it, which sees each record
before the filter touches it. A canary in the raw capture means code logged a payload (the first
line of defence failed), even if the filter then masked it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # backend_support
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend_support import running_server
from privacy_canaries import CanarySet, Hit, base_canaries, regular_files, search
from privacy_harness import canary_backend_settings

from kiosk.logs import configure_logging


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


@pytest.fixture(scope="module")
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(canary_backend_settings(tmp_path_factory.mktemp("canary-backend"))) as url:
        yield url


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivacyScene]:
    root = tmp_path_factory.mktemp("privacy")
    (root / "process-tmp").mkdir()
    log_file = root / "kiosk.log"
    stream = log_file.open("w", encoding="utf-8")
    saved_stderr, saved_tempdir, saved_env = sys.stderr, tempfile.tempdir, os.environ.get("TMPDIR")
    sys.stderr = stream  # configure_logging writes to stderr, as under systemd
    try:
        configure_logging("kiosk", logging.DEBUG)
    finally:
        sys.stderr = saved_stderr
    raw = RawRecords()
    logging.getLogger().handlers.insert(0, raw)
    # Anything the kiosk puts in a temp file lands here, where the search looks.
    tempfile.tempdir = str(root / "process-tmp")
    os.environ["TMPDIR"] = tempfile.tempdir
    try:
        yield PrivacyScene(root=root, log_file=log_file, raw=raw)
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        root_logger = logging.getLogger()
        for handler in list(root_logger.handlers):
            if handler is raw or getattr(handler, "stream", None) is stream:
                root_logger.removeHandler(handler)
        stream.close()
