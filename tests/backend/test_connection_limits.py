"""What a connection may cost before and while the app sees it (issue #18 items 2 and 3), over
raw sockets on loopback against the server built the way `kiosk-backend serve` builds it.

Headers are bounded in bytes and in fields before any token is read, bodies in bytes on every
route, and both in time however slowly the bytes trickle in. (A slowloris attack and an 64 MiB
header against the real command are in test_serve_attacks.py.)
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from backend.commands.serve import demo_settings
from backend.settings import ConnectionLimits
from tests.support.backend import SECURITY_HEADERS, running_server

LIMITS = ConnectionLimits()
SHORT = replace(LIMITS, header_timeout=0.5, body_timeout=0.5, keep_alive_timeout=0.5, max_body_bytes=64 * 1024)
# Generous bounds on how long a test waits for the server: they stop a broken server from
# hanging the run, and are never what a test asserts.
PATIENCE = 15.0


@contextmanager
def served(tmp_path: Path, limits: ConnectionLimits = LIMITS) -> Iterator[tuple[str, int]]:
    settings = demo_settings(tmp_path / "demo.sqlite3", rate_per_second=None, log_requests=False, limits=limits)
    with running_server(settings) as url:
        address = urlsplit(url)
        assert address.hostname and address.port
        yield address.hostname, address.port


def send_all_you_can(connection: socket.socket, data: bytes) -> None:
    """Send until done or until the server stops reading and closes (which is the point)."""
    with suppress(OSError):
        connection.sendall(data)


def read_answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    connection.settimeout(PATIENCE)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def problem_of(answer: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    problem = json.loads(body[: int(headers["content-length"])])
    assert problem["status"] == status
    return status, headers, problem


HUGE_LINE = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\n"
MANY_FIELDS = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(200)) + b"\r\n"
HUGE_URL = b"GET /v1/health?" + b"q" * (1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
ENDLESS_HEADERS = b"POST /v1/eligibility HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: 0123456789abcdef\r\n" * 40_000


@pytest.mark.parametrize(
    "request_bytes",
    [HUGE_LINE, MANY_FIELDS, HUGE_URL, ENDLESS_HEADERS],
    ids=["one-8-MiB-header", "200-fields", "1-MiB-url", "headers-that-never-end"],
)
def test_headers_past_the_limit_get_431_before_any_token_is_read(tmp_path: Path, request_bytes: bytes) -> None:
    with served(tmp_path) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        send_all_you_can(connection, request_bytes)
        status, _headers, problem = problem_of(read_answer(connection))
    assert status == 431
    assert problem["type"] == "urn:xinyi-kiosk:problem:headers-too-large"


def test_headers_within_the_limit_are_served(tmp_path: Path) -> None:
    fields = {f"x-field-{n}": "v" * 100 for n in range(LIMITS.max_headers - 8)}
    with served(tmp_path) as (host, port), httpx.Client(base_url=f"http://{host}:{port}") as client:
        assert client.get("/v1/health", headers=fields).status_code == 200
        assert client.get("/v1/health", headers={"x-big": "v" * 12_000}).status_code == 200


def test_a_body_past_the_limit_closes_the_connection_on_any_route(tmp_path: Path) -> None:
    """GET /v1/health does not read bodies; uvicorn alone would keep reading (and dropping) one."""
    with served(tmp_path, SHORT) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        declared = 100 * 1024 * 1024
        send_all_you_can(connection, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % declared)
        sent = 0
        try:
            while sent < declared:
                sent += connection.send(b"z" * 65536)
        except OSError:
            pass
        answer = read_answer(connection)
    assert sent < declared, "the server read the whole body"
    # Answered (by the app, or by the protocol when the body outran the app), then closed.
    assert answer.startswith((b"HTTP/1.1 200 ", b"HTTP/1.1 413 "))


def test_a_body_past_the_limit_before_any_answer_gets_413(tmp_path: Path) -> None:
    limits = replace(SHORT, max_body_bytes=4 * 1024)
    with served(tmp_path, limits) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        # The token is right, so the app waits for the body; the protocol's limit is lower.
        send_all_you_can(
            connection,
            b"POST /v1/eligibility HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"1000\r\n" + b" " * 4096 + b"\r\n" + b"1000\r\n" + b" " * 4096 + b"\r\n",
        )
        status, _headers, _problem = problem_of(read_answer(connection))
    assert status == 413


def trickle(connection: socket.socket, data: bytes, pause: float) -> bytes:
    """Send `data` a byte at a time, `pause` seconds apart, until the server closes; return
    what it answered."""
    connection.settimeout(pause)
    answer = b""
    deadline = time.monotonic() + PATIENCE
    for byte in data:
        if time.monotonic() > deadline:
            break
        try:
            connection.send(bytes([byte]))
            chunk = connection.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    return answer + read_answer(connection)


def test_headers_trickled_in_get_408_at_the_header_deadline(tmp_path: Path) -> None:
    with served(tmp_path, SHORT) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        answer = trickle(connection, b"GET /v1/health HTTP/1.1\r\n" + b"X-Slow: " + b"s" * 10_000, pause=0.05)
    status, _headers, problem = problem_of(answer)
    assert status == 408
    assert "headers" in str(problem["detail"])


def test_a_body_trickled_in_gets_408_at_the_body_deadline(tmp_path: Path) -> None:
    with served(tmp_path, SHORT) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        connection.sendall(
            b"POST /v1/eligibility HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token\r\n"
            b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
        )
        answer = trickle(connection, b"{" + b" " * 9999, pause=0.05)
    status, _headers, problem = problem_of(answer)
    assert status == 408
    assert "body" in str(problem["detail"])


def test_a_silent_connection_is_closed_at_the_header_deadline(tmp_path: Path) -> None:
    with served(tmp_path, SHORT) as address, socket.create_connection(address, timeout=PATIENCE) as connection:
        assert read_answer(connection) == b""


def test_keep_alive_still_works_and_an_idle_connection_is_then_closed(tmp_path: Path) -> None:
    with served(tmp_path, SHORT) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=PATIENCE)
        try:
            for _ in range(3):  # three requests on one connection
                connection.request("GET", "/v1/health")
                response = connection.getresponse()
                assert response.status == 200
                response.read()
            assert connection.sock is not None
            assert read_answer(connection.sock) == b""  # then silence closes it
        finally:
            connection.close()


def test_past_the_connection_limit_the_longest_waiting_connection_makes_room(tmp_path: Path) -> None:
    # Deadlines far beyond PATIENCE: only making room can close a connection here.
    limits = replace(LIMITS, max_connections=8, header_timeout=120.0, keep_alive_timeout=120.0)
    with served(tmp_path, limits) as address:
        waiting = []
        for _ in range(8):
            waiting.append(socket.create_connection(address, timeout=PATIENCE))
            waiting[-1].sendall(b"GET /v1/health HTTP/1.1\r\n")  # never finished
            time.sleep(0.05)  # accepted in this order (an order, not a timing, is what matters)
        time.sleep(0.5)
        with httpx.Client(base_url=f"http://{address[0]}:{address[1]}", timeout=PATIENCE) as client:
            assert client.get("/v1/health").status_code == 200
        assert read_answer(waiting[0]) == b"", "the oldest waiting connection was closed"
        waiting[-1].settimeout(0.2)
        with pytest.raises(TimeoutError):
            waiting[-1].recv(1)  # a newer one is still open
        for connection in waiting:
            connection.close()
