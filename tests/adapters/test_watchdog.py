"""sd_notify from the kiosk: the datagrams systemd would read arrive on a real socket.

The test plays systemd's part: it binds a unix datagram socket, hands its address over in
NOTIFY_SOCKET (and WATCHDOG_USEC), and reads what the kiosk sends, both from this process
and from a child process that behaves like `kiosk run` under kiosk.service.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.adapters.watchdog import SystemdNotifier, WatchdogSettingError
from kiosk.core.errors import KioskError

REPO = Path(__file__).resolve().parents[2]
RECEIVE_TIMEOUT_S = 20.0


class NotifySocket:
    """The listening end systemd keeps for a Type=notify service."""

    def __init__(self, address: str, bind_to: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(bind_to)
        self.sock.settimeout(RECEIVE_TIMEOUT_S)

    def receive(self) -> dict[str, str]:
        datagram = self.sock.recv(4096).decode("latin-1")
        return dict(line.split("=", 1) for line in datagram.split("\n") if line)

    def receive_until(self, key: str) -> list[dict[str, str]]:
        messages = [self.receive()]
        while key not in messages[-1]:
            messages.append(self.receive())
        return messages

    def pending(self) -> bool:
        self.sock.setblocking(False)
        try:
            self.sock.recv(4096)
        except BlockingIOError:
            return False
        finally:
            self.sock.settimeout(RECEIVE_TIMEOUT_S)
        return True


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    path = str(tmp_path / "notify")
    listener = NotifySocket(path, path)
    yield listener
    listener.sock.close()


@pytest.fixture
def abstract_notify_socket() -> Iterator[NotifySocket]:
    name = f"xinyi-test-{uuid.uuid4().hex}"
    listener = NotifySocket("@" + name, "\0" + name)
    yield listener
    listener.sock.close()


def test_ready_ping_stopping_arrive_in_order(notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.address)
    notifier = SystemdNotifier()
    assert notifier.enabled
    notifier.ready("idle screen up")
    notifier.ping()
    notifier.stopping()
    assert notify_socket.receive() == {"READY": "1", "STATUS": "idle screen up"}
    assert notify_socket.receive() == {"WATCHDOG": "1"}
    assert notify_socket.receive() == {"STOPPING": "1"}


def test_abstract_socket_address_works(abstract_notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", abstract_notify_socket.address)
    SystemdNotifier().ping()
    assert abstract_notify_socket.receive() == {"WATCHDOG": "1"}


def test_status_is_one_ascii_line(notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.address)
    SystemdNotifier().status("offline\nREADY=1 since 离线 " + "x" * 500)
    message = notify_socket.receive()
    assert list(message) == ["STATUS"]
    assert message["STATUS"].startswith("offline READY=1 since ?? x")
    assert len(message["STATUS"]) == 200


def test_no_socket_means_every_call_is_a_no_op(notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    notifier = SystemdNotifier()
    assert not notifier.enabled
    notifier.ready("up")
    notifier.ping()
    notifier.stopping()
    assert notifier.watchdog_interval() is None
    assert not notify_socket.pending()


def test_socket_that_vanished_does_not_crash_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    notifier = SystemdNotifier()
    notifier.ready()
    notifier.ping()
    assert notifier.enabled


@pytest.mark.parametrize(
    ("usec", "pid", "interval"),
    [
        ("30000000", None, 15.0),
        ("1000000", "own", 0.5),
        ("1000000", "other", None),
        ("", None, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout(
    usec: str, pid: str | None, interval: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() if pid == "own" else os.getpid() + 1))
    assert SystemdNotifier().watchdog_interval() == interval


@pytest.mark.parametrize("usec", ["thirty", "-5", "0", "1.5", "0x10", "²", "١٢"])
def test_malformed_watchdog_usec_is_a_typed_error(usec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    with pytest.raises(WatchdogSettingError) as caught:
        SystemdNotifier().watchdog_interval()
    assert "WATCHDOG_USEC" in caught.value.detail
    assert caught.value.text.get("en") and caught.value.text.get("zh-CN")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_watchdog_usec_gives_an_interval_none_or_a_kiosk_error(usec: str) -> None:
    saved = {name: os.environ.get(name) for name in ("WATCHDOG_USEC", "WATCHDOG_PID")}
    try:
        os.environ.pop("WATCHDOG_PID", None)
        if "\0" in usec:
            return
        os.environ["WATCHDOG_USEC"] = usec
        try:
            interval = SystemdNotifier().watchdog_interval()
        except KioskError:
            return
        assert interval is None or interval > 0
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# A stand-in for `kiosk run`: the main loop the app keeps, reduced to its systemd contract.
KIOSK_LIKE_MAIN_LOOP = textwrap.dedent(
    """
    import signal, threading
    from kiosk.adapters.watchdog import SystemdNotifier

    notifier = SystemdNotifier()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda number, frame: stop.set())
    interval = notifier.watchdog_interval()
    notifier.ready("idle")
    while not stop.wait(interval):
        notifier.ping()
    notifier.stopping("SIGTERM")
    """
)


def test_child_process_pings_until_sigterm_then_says_stopping(notify_socket: NotifySocket) -> None:
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notify_socket.address,
        "WATCHDOG_USEC": "200000",
        "PYTHONPATH": str(REPO),
    }
    env.pop("WATCHDOG_PID", None)
    child = subprocess.Popen([sys.executable, "-c", KIOSK_LIKE_MAIN_LOOP], env=env)
    try:
        assert notify_socket.receive() == {"READY": "1", "STATUS": "idle"}
        pings = [notify_socket.receive() for _ in range(3)]
        assert pings == [{"WATCHDOG": "1"}] * 3
        child.send_signal(signal.SIGTERM)
        tail = notify_socket.receive_until("STOPPING")
        assert tail[-1] == {"STOPPING": "1", "STATUS": "SIGTERM"}
        assert all(message == {"WATCHDOG": "1"} for message in tail[:-1])
        assert child.wait(timeout=RECEIVE_TIMEOUT_S) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
