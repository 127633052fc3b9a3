"""The real backend on loopback for tests: uvicorn in a thread on a free port, demo data on disk
or in the test session's PostgreSQL cluster (tests/support/postgres.py), built by the same code
as `kiosk-backend serve`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.commands.serve import demo_settings
from backend.server import build_server, listen
from backend.settings import Settings
from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN, DemoSubject, demo_subjects

AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}
PROBLEM_KEYS = {"type", "title", "status", "detail"}
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """Serve `settings` on 127.0.0.1 and yield the base URL; stop the server afterwards."""
    # The same protocol, limits and socket set-up as `kiosk-backend serve` (backend/server.py).
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    app = create_app(settings)
    server = build_server(app, settings)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        app.close()


@contextmanager
def demo_server(tmp: Path, **overrides: Any) -> Iterator[tuple[str, list[DemoSubject]]]:
    """The demo population served from `tmp`'s SQLite file, or from ``db_url`` when given."""
    settings = demo_settings(tmp / "demo.sqlite3", **overrides)
    with running_server(settings) as url:
        yield url, demo_subjects()


STORES = ("sqlite", "postgresql")


@pytest.fixture(scope="module", params=STORES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[DemoSubject]]]:
    """One demo server per test module and store, with the rate limit off (tests send many
    requests): every test that uses it runs on SQLite and on PostgreSQL."""
    overrides: dict[str, Any] = {"rate_per_second": None}
    cluster = None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        overrides["db_url"] = cluster.create_schema()
    try:
        with demo_server(tmp_path_factory.mktemp("backend"), **overrides) as running:
            yield running
    finally:
        if cluster is not None:
            cluster.drop(overrides["db_url"])


@pytest.fixture(scope="module")
def client(demo: tuple[str, list[DemoSubject]]) -> Iterator[httpx.Client]:
    with loopback_client(demo[0]) as http:
        yield http


def loopback_client(base_url: str) -> httpx.Client:
    # httpx writes headers and body separately; without TCP_NODELAY, Nagle's algorithm and the
    # server's delayed ACK add ~40 ms to every POST.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(base_url=base_url, timeout=10, transport=transport)


def check_body(subject: DemoSubject, benefit: str, locale: str = "en") -> dict[str, Any]:
    return {
        "benefit": benefit,
        "subject": {"scheme": subject.scheme, "value": subject.value},
        "locale": locale,
        "device": DEMO_DEVICE_ID,
    }


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """A problem+json answer with exactly the RFC 9457 members we use, and our headers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert PROBLEM_KEYS <= set(body) <= PROBLEM_KEYS | {"field"}
    assert body["status"] == status
    assert body["type"].startswith("urn:xinyi-kiosk:problem:")
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    if field is not None:
        assert body.get("field") == field
    assert_security_headers(response)
    return body


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "access-control-allow-origin" not in response.headers
    assert "server" not in response.headers
