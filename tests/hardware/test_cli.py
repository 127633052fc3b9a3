"""`kiosk listen`, `kiosk simulate` and `kiosk doctor` as a technician runs them: real processes,
real ptys, real signals."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from hardware.base import ScanEvent
from hardware.scanner import SerialScanner
from hardware.simulators import SimulatedCardReader, SimulatedScanner, SyntheticCard
from tests.support.hardware import FAST_SCANNER, PATIENCE, next_of

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def start(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*KIOSK, *args], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Lines:
    """Read a child's stdout line by line with a deadline, without blocking forever."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buffer = b""
        self.seen: list[str] = []

    def next(self, timeout: float = PATIENCE) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise AssertionError(f"no line within {timeout} s; got {self.seen}")
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise AssertionError(f"output ended; got {self.seen}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.seen.append(line.decode())
        return self.seen[-1]

    def until(self, predicate: str, timeout: float = PATIENCE) -> str:
        while True:
            line = self.next(timeout)
            if predicate in line:
                return line


def stop(proc: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> tuple[int, str]:
    if proc.stdin is not None:
        proc.stdin.close()
        proc.stdin = None
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=PATIENCE)
    return proc.returncode, err.decode()


def test_listen_on_a_missing_port_says_so_keeps_trying_and_stops_cleanly(tmp_path: Path) -> None:
    port = tmp_path / "xinyi-scanner"
    proc = start("listen", "--device", "scanner", "--port", str(port))
    first = Lines(proc).next()
    assert first.startswith("status no_device")
    assert str(port) in first and "still trying" in first
    code, err = stop(proc, signal.SIGTERM)
    assert code == 0 and "Traceback" not in err


def test_listen_prints_lengths_only_and_payloads_only_when_asked(tmp_path: Path) -> None:
    with SimulatedScanner(tmp_path / "scanner") as sim:
        quiet = start("listen", "--device", "scanner", "--port", sim.port_path, "--json")
        lines = Lines(quiet)
        assert json.loads(lines.next()) == {"event": "status", "status": "ready"}
        sim.present("京A12345".encode("gb18030"))
        record = json.loads(lines.next())
        assert record == {"event": "scan", "symbology": "]Q1", "length": 8}
        code, err = stop(quiet, signal.SIGINT)
        assert code == 0 and "Traceback" not in err

        loud = start("listen", "--device", "scanner", "--port", sim.port_path, "--json", "--show-payload")
        lines = Lines(loud)
        lines.until('"ready"')
        sim.present("京A12345".encode("gb18030"))
        record = json.loads(lines.next())
        assert record["payload"] == "京A12345" and record["payload_encoding"] == "gb18030"
        sim.unplug()
        assert json.loads(lines.next())["status"] == "disconnected"
        sim.replug()
        assert json.loads(lines.next())["status"] == "ready"
        assert stop(loud)[0] == 0


def test_simulate_idcard_and_listen_talk_the_sam_protocol(tmp_path: Path) -> None:
    link = tmp_path / "idcard"
    simulator = start("simulate", "idcard", "--port", str(link), "--name", "欧阳娜娜")
    try:
        deadline = time.monotonic() + PATIENCE
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        listener = start("listen", "--device", "idcard", "--port", str(link), "--json", "--show-payload")
        lines = Lines(listener)
        record = json.loads(lines.until('"card"'))
        assert record["name_masked"] == "欧***"
        assert record["id_number"] == SyntheticCard().id_number
        assert stop(listener)[0] == 0
    finally:
        code, err = stop(simulator)
    assert code == 0 and "Traceback" not in err
    assert not link.exists()


def test_listen_without_show_payload_never_prints_the_id_number() -> None:
    card = SyntheticCard()
    with SimulatedCardReader(card) as sim:
        proc = start("listen", "--device", "idcard", "--port", sim.port_path, "--json")
        record = json.loads(Lines(proc).until('"card"'))
        assert record == {"event": "card", "name_masked": "张*", "id_number_length": 18}
        code, err = stop(proc)
        assert code == 0 and card.id_number not in err


async def test_simulate_scanner_sends_each_typed_line_as_one_scan(tmp_path: Path) -> None:
    link = tmp_path / "scanner"
    proc = start("simulate", "scanner", "--port", str(link), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        async with SerialScanner(str(link), **FAST_SCANNER) as device:  # type: ignore[arg-type]
            events = aiter(device)
            proc.stdin.write("信易 code one\nsecond\n".encode())
            proc.stdin.flush()
            first = await next_of(events, ScanEvent)
            second = await next_of(events, ScanEvent)
            assert (first.payload, first.symbology) == ("信易 code one".encode(), "]Q1")
            assert second.payload == b"second"
    finally:
        code, err = stop(proc, signal.SIGINT)
    assert code == 0 and "Traceback" not in err


def test_simulate_idcard_refuses_a_name_too_long_for_the_card() -> None:
    proc = subprocess.run(
        [*KIOSK, "simulate", "idcard", "--port", "/tmp/unused-xinyi-test", "--name", "名" * 16],
        capture_output=True,
        timeout=PATIENCE,
    )
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr and b"15" in proc.stderr


def test_doctor_says_the_card_reader_answers_and_exits_0() -> None:
    with SimulatedCardReader(baud=9600) as sim:
        proc = subprocess.run([*KIOSK, "doctor", "--idcard", sim.port_path], capture_output=True, timeout=PATIENCE * 2)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "answered at 9600 baud" in out and "Serial ports on this machine" in out


def test_doctor_explains_missing_and_silent_devices_and_exits_1(tmp_path: Path) -> None:
    with SimulatedScanner() as silent:  # a port where no card module answers
        proc = subprocess.run(
            [*KIOSK, "doctor", "--scanner", str(tmp_path / "gone"), "--idcard", silent.port_path, "--timeout", "0.1"],
            capture_output=True,
            timeout=PATIENCE * 2,
        )
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "does not exist" in out and "no ID-card module answered" in out
    assert "Traceback" not in proc.stderr.decode()
