"""The backend client against real loopback servers that misbehave in the ways networks do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from kiosk.adapters.backend_client import BackendClient, BackendRejected, BackendUnavailable, InvalidResponse
from kiosk.common.policy_folder import load_catalog
from kiosk.core.credentials import Scheme, SubjectRef
from kiosk.core.decision import decide

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
SUBJECT = SubjectRef(Scheme.USCC, "91110000600037341L")
FAST = httpx.Timeout(connect=1.0, read=0.5, write=1.0, pool=1.0)


@asynccontextmanager
async def loopback_server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A raw HTTP/1.1 server on 127.0.0.1; the list counts connections accepted."""
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections) + 1)
        try:
            await handler(reader, writer, len(connections))
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", connections
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return await reader.readexactly(length)


def respond(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def decision_body(benefit_id: str = "expedited-permit") -> bytes:
    catalog = load_catalog()
    benefit = catalog.get(benefit_id)
    assert benefit is not None
    facts = {
        "serious_dishonesty_listed": False,
        "abnormal_operations_listed": False,
        "last_penalty_date": "2020-01-01",
        "tax_credit_grade": "A",
        "credit_commitment_on_file": True,
    }
    decision = decide(benefit, facts, policy_version=catalog.version, locale="en")
    return json.dumps(decision.to_json()).encode()


async def test_answers_are_validated_and_returned() -> None:
    seen: list[dict[str, object]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        seen.append(json.loads(await read_request(reader)))
        writer.write(respond(200, decision_body()))
        await writer.drain()

    async with loopback_server(handler) as (url, _), BackendClient(url, "t", "kiosk-1", timeout=FAST) as client:
        decision = await client.check("expedited-permit", SUBJECT, "en")
    assert decision.outcome.value == "eligible"
    assert seen == [
        {
            "benefit": "expedited-permit",
            "subject": {"scheme": "uscc", "value": "91110000600037341L"},
            "locale": "en",
            "device": "kiosk-1",
        }
    ]


async def test_a_stalled_server_gives_unavailable_not_a_hang() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with loopback_server(handler) as (url, _), BackendClient(url, "t", "k", timeout=FAST) as client:
        with pytest.raises(BackendUnavailable) as caught:
            await client.check("expedited-permit", SUBJECT, "en")
    assert caught.value.retryable_offline
    assert "91110000" not in str(caught.value)


async def test_a_dropped_connection_is_retried_once() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await read_request(reader)
        if number == 1:
            return  # closes without an answer, as a restarting proxy would
        writer.write(respond(200, decision_body()))
        await writer.drain()

    async with loopback_server(handler) as (url, connections), BackendClient(url, "t", "k", timeout=FAST) as client:
        decision = await client.check("expedited-permit", SUBJECT, "zh-CN")
    assert decision.benefit == "expedited-permit"
    assert len(connections) == 2


async def test_a_server_that_always_drops_gives_unavailable_after_two_tries() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)

    async with loopback_server(handler) as (url, connections), BackendClient(url, "t", "k", timeout=FAST) as client:
        with pytest.raises(BackendUnavailable):
            await client.check("expedited-permit", SUBJECT, "en")
    assert len(connections) == 2


async def test_nobody_listening_gives_unavailable() -> None:
    async with loopback_server(read_request_and_close) as (url, _):
        pass  # the server is gone once the block ends
    async with BackendClient(url, "t", "k", timeout=FAST) as client:
        with pytest.raises(BackendUnavailable):
            await client.check("expedited-permit", SUBJECT, "en")


async def read_request_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
    await read_request(reader)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (200, b"not json", "application/json", InvalidResponse),
        (200, b"{}", "text/html", InvalidResponse),
        (200, b"[]", "application/json", InvalidResponse),
        (200, b"{" + b" " * 70000 + b"}", "application/json", InvalidResponse),
        (401, b'{"title": "Unauthorized", "status": 401}', "application/problem+json", BackendRejected),
        (429, b'{"title": "Too Many Requests", "status": 429}', "application/problem+json", BackendRejected),
        (503, b"", "text/plain", BackendUnavailable),
        (302, b"", "text/plain", InvalidResponse),
    ],
)
async def test_bad_answers_become_typed_errors(status: int, body: bytes, content_type: str, error: type) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(respond(status, body, content_type))
        await writer.drain()

    async with loopback_server(handler) as (url, _), BackendClient(url, "t", "k", timeout=FAST) as client:
        with pytest.raises(error) as caught:
            await client.check("expedited-permit", SUBJECT, "en")
    assert caught.value.text.zh and caught.value.text.en


def tampered(mutate: Callable[[dict[str, object]], None]) -> bytes:
    document = json.loads(decision_body())
    mutate(document)
    return json.dumps(document).encode()


def _no_criteria(d: dict[str, object]) -> None:
    d["criteria"] = []


def _extra_field(d: dict[str, object]) -> None:
    d["score"] = 99


def _outcome_mismatch(d: dict[str, object]) -> None:
    d["outcome"] = "not_eligible"


def _failed_without_remedy(d: dict[str, object]) -> None:
    criteria = d["criteria"]
    assert isinstance(criteria, list)
    criteria[0]["status"] = "failed"
    d["outcome"] = "not_eligible"


@pytest.mark.parametrize("mutate", [_no_criteria, _extra_field, _outcome_mismatch, _failed_without_remedy])
async def test_decisions_that_do_not_explain_themselves_are_refused(
    mutate: Callable[[dict[str, object]], None],
) -> None:
    body = tampered(mutate)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await read_request(reader)
        writer.write(respond(200, body))
        await writer.drain()

    async with loopback_server(handler) as (url, _), BackendClient(url, "t", "k", timeout=FAST) as client:
        with pytest.raises(InvalidResponse):
            await client.check("expedited-permit", SUBJECT, "en")
