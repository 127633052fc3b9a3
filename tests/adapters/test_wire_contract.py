"""Wire contract (DESIGN §4.1): the kiosk sends exactly benefit, subject{scheme, value}, locale
and device, and no header says anything about the applicant.

A recording proxy on loopback sits between the real kiosk station and the real backend: it keeps
every request byte for byte (request line, each header, body) and forwards it, so the kiosk gets
real answers and the test sees exactly what went over the wire.
"""

from __future__ import annotations

import http.client
import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN
from kiosk.session.flow_view import FlowState
from tests.privacy.canaries import (
    BUSINESS_TOKEN,
    CARD_ADDRESS,
    CARD_NAME,
    FACT_NOTE,
    PERSON_TOKEN,
    RIC,
    USCC,
    CanarySet,
    base_canaries,
    search,
)
from tests.privacy.harness import (
    BUSINESS_BENEFIT,
    PERSON_BENEFIT,
    canary_backend_settings,
    canary_card,
    canary_facts,
    mint,
    start_kiosk,
)
from tests.support.backend import running_server

REQUEST_FIELDS = {"benefit", "subject", "locale", "device"}
SUBJECT_FIELDS = {"scheme", "value"}
# Every header the kiosk may send; none of them can carry anything about a person.
ALLOWED_HEADERS = {
    "host", "accept", "accept-encoding", "connection", "user-agent", "authorization",
    "content-length", "content-type", "if-none-match",
}


@dataclass(frozen=True)
class RawRequest:
    request_line: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def method_and_path(self) -> tuple[str, str]:
        method, target, _version = self.request_line.decode("ascii").split(" ")
        return method, target

    def raw(self) -> bytes:
        lines = [self.request_line, *(name + b": " + value for name, value in self.headers)]
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


class RecordingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.records: list[RawRequest] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: RecordingProxy

    def handle(self) -> None:
        while True:
            request_line = self.rfile.readline().rstrip(b"\r\n")
            if not request_line:
                return
            headers: list[tuple[bytes, bytes]] = []
            while (line := self.rfile.readline().rstrip(b"\r\n")) != b"":
                name, _, value = line.partition(b":")
                headers.append((name.strip(), value.strip()))
            length = next((int(v) for n, v in headers if n.lower() == b"content-length"), 0)
            body = self.rfile.read(length) if length else b""
            record = RawRequest(request_line, tuple(headers), body)
            with self.server.lock:
                self.server.records.append(record)
            self.wfile.write(self._forward(record))
            self.wfile.flush()

    def _forward(self, record: RawRequest) -> bytes:
        method, path = record.method_and_path
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=10)
        try:
            passed = {n.decode(): v.decode() for n, v in record.headers if n.lower() != b"connection"}
            upstream.request(method, path, body=record.body or None, headers=passed)
            answer = upstream.getresponse()
            data = answer.read()
            head = [f"HTTP/1.1 {answer.status} {answer.reason}".encode()]
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    head.append(f"{name}: {value}".encode("latin-1"))
            head.append(f"content-length: {len(data)}".encode())
            return b"\r\n".join(head) + b"\r\n\r\n" + data
        finally:
            upstream.close()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingProxy]:
    with running_server(canary_backend_settings(tmp_path_factory.mktemp("wire-backend"))) as url:
        server = RecordingProxy(url)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()


def eligibility_requests(records: list[RawRequest]) -> list[RawRequest]:
    return [r for r in records if r.method_and_path == ("POST", "/v1/eligibility")]


def assert_exact_request(record: RawRequest, benefit: str, scheme: str, value: str) -> None:
    body: Any = json.loads(record.body)
    assert set(body) == REQUEST_FIELDS, body.keys()
    assert set(body["subject"]) == SUBJECT_FIELDS
    assert body == {
        "benefit": benefit,
        "subject": {"scheme": scheme, "value": value},
        "locale": "zh-CN",
        "device": DEMO_DEVICE_ID,
    }


def assert_headers_say_nothing_about_the_applicant(record: RawRequest, secrets: list[str]) -> None:
    names = [name.decode("ascii").lower() for name, _ in record.headers]
    assert len(names) == len(set(names)), names
    assert set(names) <= ALLOWED_HEADERS, set(names) - ALLOWED_HEADERS
    assert {"host", "authorization", "user-agent"} <= set(names)  # the recording saw real headers
    head = record.raw()[: -len(record.body) or None]
    for secret in secrets:
        assert secret.encode() not in head
    agent = dict((n.decode().lower(), v.decode()) for n, v in record.headers).get("user-agent", "")
    assert DEMO_DEVICE_ID not in agent and DEMO_TOKEN not in agent
    assert all(secret not in agent for secret in secrets)
    canaries = base_canaries()
    assert not search(canaries, texts={"request line and headers": head})


async def test_each_scheme_sends_exactly_the_four_fields_and_headers_carry_nothing(
    proxy: RecordingProxy, tmp_path: Path
) -> None:
    canaries = base_canaries()
    business_credential = mint(canaries, "business", USCC["eligible"], canary_facts("business", "eligible"),
                               label="wire-business")
    person_credential = mint(canaries, "person", RIC["not_eligible"], canary_facts("person", "not_eligible"),
                             label="wire-person")
    kiosk = await start_kiosk(proxy.url, tmp_path / "data")
    cases: list[tuple[str, str, str, str]] = []  # benefit, scheme sent, value sent, what was presented
    try:
        for benefit, payload, scheme, value in (
            (BUSINESS_BENEFIT, USCC["not_eligible"], "uscc", USCC["not_eligible"]),
            (BUSINESS_BENEFIT, BUSINESS_TOKEN["eligible"], "token", BUSINESS_TOKEN["eligible"]),
            (PERSON_BENEFIT, PERSON_TOKEN["undetermined"], "token", PERSON_TOKEN["undetermined"]),
            # A signed credential: only its inner subject reference goes out.
            (BUSINESS_BENEFIT, business_credential, "uscc", USCC["eligible"]),
            (PERSON_BENEFIT, person_credential, "ric", RIC["not_eligible"]),
        ):
            proxy.records.clear()
            view = await kiosk.scan(benefit, payload)
            assert view.state is FlowState.RESULT
            cases.append((benefit, scheme, value, payload))
            sent = eligibility_requests(proxy.records)
            assert len(sent) == 1
            assert_exact_request(sent[0], benefit, scheme, value)
            if payload != value:
                assert payload.encode() not in sent[0].raw()
                assert FACT_NOTE.encode() not in sent[0].raw() and b"facts" not in sent[0].body
            assert_headers_say_nothing_about_the_applicant(sent[0], [value, payload])
        proxy.records.clear()
        view = await kiosk.card(PERSON_BENEFIT, canary_card(RIC["eligible"]))
        assert view.state is FlowState.RESULT
        sent = eligibility_requests(proxy.records)
        assert len(sent) == 1
        assert_exact_request(sent[0], PERSON_BENEFIT, "ric", RIC["eligible"])
        for held_back in (CARD_NAME, CARD_NAME[1:], CARD_ADDRESS):
            assert not search(CanarySet({"held back": held_back}), texts={"request": sent[0].raw()})
        assert_headers_say_nothing_about_the_applicant(sent[0], [RIC["eligible"], CARD_NAME])
    finally:
        await kiosk.aclose()
    assert len(cases) == 5


async def test_requests_other_than_a_check_carry_nothing_about_anyone(
    proxy: RecordingProxy, tmp_path: Path
) -> None:
    proxy.records.clear()
    kiosk = await start_kiosk(proxy.url, tmp_path / "data")  # syncs the bundle first
    try:
        await kiosk.scan(BUSINESS_BENEFIT, USCC["undetermined"])
        await kiosk.station.runtime.health()  # staff screen: the backend probe
    finally:
        await kiosk.aclose()
    others = [r for r in proxy.records if r.method_and_path != ("POST", "/v1/eligibility")]
    assert {r.method_and_path for r in others} >= {("GET", "/v1/bundle"), ("GET", "/v1/health")}
    canaries = base_canaries()
    for record in others:
        assert record.body == b""
        _method, path = record.method_and_path
        assert "?" not in path
        assert_headers_say_nothing_about_the_applicant(record, [USCC["undetermined"]])
        assert not search(canaries, texts={"request": record.raw()})
