"""Fixtures for the privacy suite: a backend holding canary records, and one scene per module
(data folder, temp folder, log captured to a file and raw; see tests.privacy.scene)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator

import pytest

from kiosk.common.logs import configure_logging
from tests.privacy.harness import canary_backend_settings
from tests.privacy.scene import PrivacyScene, RawRecords
from tests.support.backend import running_server


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
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    configure_logging("kiosk", logging.DEBUG, stream=stream)  # what journald would receive
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
