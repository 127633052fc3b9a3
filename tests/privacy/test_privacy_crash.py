"""A kiosk process that dies in the middle of a session leaves no canary anywhere.

Each test runs session_child.py as a real process with its own data and temp folders and
stderr captured to a file (what journald would keep), then searches all of it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.privacy.canaries import BUSINESS_TOKEN, TALLY, USCC, search
from tests.privacy.harness import stalling_server
from tests.privacy.scene import PrivacyScene

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def child_env(temp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "XINYI_"))}
    env["TMPDIR"] = str(temp)
    env["PYTHONFAULTHANDLER"] = "1"  # a fatal error would dump a traceback: search that too
    return env


def spawn(mode: str, url: str, folder: Path, payload: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    folder.mkdir(parents=True)
    (folder / "tmp").mkdir()
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.privacy.session_child", mode, url, str(folder / "data"), payload],
        stdout=stdout.open("wb"), stderr=stderr.open("wb"), env=child_env(folder / "tmp"), cwd=REPO,
    )
    TALLY["sessions"] += 1
    return process, stdout, stderr


def assert_clean(scene: PrivacyScene, folder: Path) -> None:
    from tests.privacy.canaries import regular_files

    hits = search(scene.canaries, files=list(regular_files([folder])))
    assert not hits, "canaries leaked:\n" + "\n".join(map(str, hits))


def test_a_kiosk_killed_in_the_middle_of_a_check_leaves_nothing(scene: PrivacyScene) -> None:
    folder = scene.root / "crash-sigkill"
    with stalling_server() as hung:
        process, stdout, stderr = spawn("sigkill", hung, folder, USCC["eligible"])
        try:
            for _ in range(300):
                if b"CHECKING" in stdout.read_bytes() or process.poll() is not None:
                    break
                time.sleep(0.1)
            assert b"CHECKING" in stdout.read_bytes(), stderr.read_bytes()[-2000:]
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert_clean(scene, folder)


@pytest.mark.parametrize("mode", ["task-bug", "top-bug"])
@pytest.mark.parametrize("payload", [USCC["not_eligible"], BUSINESS_TOKEN["not_eligible"]])
def test_a_bug_that_quotes_the_subject_does_not_reach_the_crash_output(
    scene: PrivacyScene, backend_url: str, mode: str, payload: str
) -> None:
    folder = scene.root / f"crash-{mode}-{payload[:4]}"
    process, _stdout, stderr = spawn(mode, backend_url, folder, payload)
    process.wait(timeout=60)
    output = stderr.read_bytes()
    if mode == "top-bug":
        assert process.returncode != 0
        assert b"KeyError" in output  # the crash is reported, by type
    else:
        assert process.returncode == 0, output[-3000:]
        assert b"never retrieved" in output or b"KeyError" in output
    assert_clean(scene, folder)
