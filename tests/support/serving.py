"""`kiosk-backend serve --config` as a child process, as an operator runs it (with --workers),
and feeds of many synthetic businesses for imports that take a while."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kiosk.core.credentials.uscc import ALPHABET, calc_check_digit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_process(config: Path, *flags: str, timeout: float = 60) -> Iterator[tuple[str, int]]:
    """Start the service on a free loopback port; yield its URL and process id once
    /v1/health answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--no-access-log",
            *flags,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                said = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"serve ended ({process.returncode}): {said}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer /v1/health in time")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children_of(pid: int) -> list[int]:
    """The process ids `pid` started (Linux /proc)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    return [int(word) for word in text.split()]


def business_ids(count: int, seed: int = 1) -> list[str]:
    """`count` distinct valid USCCs in the test region 99."""
    rng = random.Random(seed)
    seen: set[str] = set()
    found: list[str] = []
    while len(found) < count:
        body = (
            "9199"
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(ALPHABET) for _ in range(7))
        )
        if body not in seen:
            seen.add(body)
            found.append(body + calc_check_digit(body + "0"))
    return found


def write_credit_feed(path: Path, values: list[str], seed: int = 1) -> None:
    """A credit-china CSV feed naming each of `values`, with both of its facts."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("scheme,value,serious_dishonesty_listed,last_penalty_date\n")
        for value in values:
            listed = rng.choice(("true", "false"))
            out.write(f"uscc,{value},{listed},{rng.choice(('none', '2026-01-05'))}\n")
