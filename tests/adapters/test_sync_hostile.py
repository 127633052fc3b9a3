"""Hostile backend answers over real loopback HTTP: each is a typed result, none ends the sync.

Issue #18 items 1, 4 and 5: a bundle answer holding a 5000-digit JSON integer raised a plain
ValueError and killed the background sync for good; a 600 MB answer was read whole; a backend
sending one byte a second held `kiosk sync` (and the sync lock) for as long as it liked.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kiosk.adapters.backend_client import BackendClient, BackendError, InvalidResponse
from kiosk.adapters.bundle_sync import BundleSync, SyncPolicy
from kiosk.adapters.store import Store
from kiosk.core.bundle import REASONS
from kiosk.core.credentials import Scheme, SubjectRef
from tests.support.bundle import LoopbackBackend, authorities, signed

QUICK = httpx.Timeout(0.5)


def _answer(body: bytes, *head: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *head]
    if not any(line.lower().startswith(("content-length", "transfer-encoding")) for line in head):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json(body: bytes) -> bytes:
    return _answer(body, "Content-Type: application/json")


_GOOD = signed(version=1)
_ENVELOPE = json.loads(_GOOD)

# name -> the raw bytes the server writes; each must end as a typed result.
HOSTILE: dict[str, bytes] = {
    "5000-digit integer": _json(b'{"payload": {"version": ' + b"9" * 5000 + b'}, "signature": {}}'),
    "5000-digit integer, canonical layout": _json(
        b'{"payload":{"version":' + b"7" * 5000 + b'},"signature":{"alg":"Ed25519"}}'
    ),
    "100k nested arrays": _json(b"[" * 100_000 + b"]" * 100_000),
    "nested objects in the payload": _json(
        b'{"payload":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b',"signature":{}}'
    ),
    "not UTF-8": _json(b'{"payload": "\xff\xfe\xfd", "signature": {}}'),
    "lone surrogate escape": _json(b'{"payload": {"format": "\\ud800"}, "signature": {}}'),
    "NaN and Infinity": _json(b'{"payload": {"version": NaN, "issued_at": Infinity}, "signature": {}}'),
    "a JSON string": _json(b'"payload"'),
    "null": _json(b"null"),
    "empty body": _json(b""),
    "wrong types everywhere": _json(json.dumps({
        "payload": {**_ENVELOPE["payload"], "revoked": [[1], {"a": 2}], "trust_keys": "x",
                    "catalog": [None], "version": 2.5},
        "signature": _ENVELOPE["signature"],
    }).encode()),
    "catalog of the wrong shape, correctly signed fields": _json(json.dumps({
        "payload": {**_ENVELOPE["payload"], "catalog": {"benefits": [{"id": ["x"]}]}},
        "signature": _ENVELOPE["signature"],
    }).encode()),
    "signature value not base64": _json(json.dumps({
        "payload": _ENVELOPE["payload"], "signature": {**_ENVELOPE["signature"], "value": "%%%"},
    }).encode()),
    "cut short": _answer(b'{"payload": {', "Content-Length: 5000", "Content-Type: application/json"),
    "gzip-encoded although identity was asked": _answer(
        gzip.compress(_GOOD), "Content-Encoding: gzip", "Content-Type: application/json"
    ),
    "gzip bomb": _answer(
        gzip.compress(b"0" * (30 * 1024 * 1024)), "Content-Encoding: gzip",
        "Content-Type: application/json",
    ),
    "declares 600 MB": _answer(b"{", "Content-Length: 600000000"),
    "chunked past the limit": _answer(
        b"".join(b"%x\r\n%s\r\n" % (65536, b"x" * 65536) for _ in range(400)) + b"0\r\n\r\n",
        "Transfer-Encoding: chunked",
    ),
    "broken chunk size": _answer(b"zz\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
    "negative Content-Length": _answer(b"{}", "Content-Length: -5"),
    "not HTTP at all": b"SSH-2.0-OpenSSH_9.2\r\n",
    "status line only": b"HTTP/1.1 200 OK\r\n",
    "304 to an unconditional request": _answer(b"", status="304 Not Modified"),
    "a header line of 1 MiB": _answer(b"{}", "X-Fill: " + "a" * (1024 * 1024)),
    "10,000 headers": _answer(b"{}", *(f"X-{i}: v" for i in range(10_000))),
    "unknown status": _answer(b"{}", status="299 Odd"),
    "HTML captive portal": _answer(b"<html>log in</html>", "Content-Type: text/html"),
}


@pytest.fixture
async def backend() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    yield server
    await server.close()


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_every_hostile_bundle_answer_is_a_typed_result(
    tmp_path: Path, backend: LoopbackBackend, name: str
) -> None:
    backend.mode, backend.raw_answer = "raw", HOSTILE[name]
    sync = BundleSync(Store(tmp_path), authorities(), base_url=backend.url, timeout=QUICK)
    try:
        result = await sync.sync_now()
    finally:
        await sync.stop()
    assert result.outcome in ("refused", "unreachable", "rejected")
    if result.outcome == "refused":
        assert result.refusal is not None and result.refusal.reason in REASONS
    assert sync.current is None


async def test_the_background_loop_survives_every_hostile_answer(tmp_path: Path, backend: LoopbackBackend) -> None:
    """One server answering each hostile body in turn, then a good one: the loop takes them all."""
    answers = [HOSTILE[name] for name in sorted(HOSTILE)]
    served: list[int] = []
    original = backend._handle

    async def next_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(served)
        served.append(index)
        if index < len(answers):
            backend.mode, backend.raw_answer = "raw", answers[index]
        else:
            backend.mode = "serve"
        await original(reader, writer)

    backend._handle = next_answer  # type: ignore[method-assign]
    backend._server.close()  # type: ignore[union-attr]
    await backend.start()
    backend.publish(_GOOD)
    policy = SyncPolicy(interval=timedelta(milliseconds=5), base=timedelta(milliseconds=1),
                        cap=timedelta(milliseconds=5))
    sync = BundleSync(Store(tmp_path), authorities(), base_url=backend.url, timeout=QUICK,
                      policy=policy, rng=random.Random(2))
    task = sync.start()
    try:
        async with asyncio.timeout(60):
            while sync.current is None:
                assert not task.done(), task.exception() if task.done() else None
                await asyncio.sleep(0.01)
    finally:
        await sync.stop()
    assert len(served) > len(answers)  # every hostile answer was met, then the good one
    assert sync.current.version == 1
    assert sync.last_result is not None and sync.last_result.outcome == "updated"


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_every_hostile_check_answer_is_a_typed_backend_error(backend: LoopbackBackend, name: str) -> None:
    backend.mode, backend.raw_answer = "raw", HOSTILE[name]
    client = BackendClient(backend.url, "t0ken", "kiosk-0042", timeout=QUICK)
    try:
        with pytest.raises(BackendError):
            await client.check("expedited-permit", SubjectRef(Scheme.USCC, "91350100M000100Y43"), "en")
    finally:
        await client.aclose()


async def test_a_check_answer_past_the_limit_is_not_read_to_its_end(backend: LoopbackBackend) -> None:
    """A chunked answer with no declared size: refused once 64 KiB are in, before it ends."""
    chunks = b"".join(b"%x\r\n%s\r\n" % (16384, b"x" * 16384) for _ in range(12))  # no last chunk
    backend.mode = "raw"
    backend.raw_answer = _answer(chunks, "Transfer-Encoding: chunked", "Content-Type: application/json")
    client = BackendClient(backend.url, "t0ken", "kiosk-0042", timeout=QUICK)
    try:
        with pytest.raises(InvalidResponse, match="more than"):
            await client.check("expedited-permit", SubjectRef(Scheme.USCC, "91350100M000100Y43"), "en")
    finally:
        await client.aclose()
