"""Helpers for the bundle, store, sync and offline tests: DEMO keys, signed bundles, credentials."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from demo.issuer import DemoIssuer, demo_trust_store, load_demo_issuer
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.bundle import (
    PolicyBundle,
    load_authority_keys,
    trust_keys_from_store,
)
from kiosk.core.bundle_signing import (
    build_payload,
    sign_bundle,
    verify_bundle,
)

REPO = Path(__file__).resolve().parents[2]
DEMO_KEYS = REPO / "demo" / "keys"
AUTHORITY_PRIVATE_PEM = DEMO_KEYS / "authority-ed25519-DEMO-private.pem"
AUTHORITY_PUBLIC_PEM = DEMO_KEYS / "authority-ed25519-DEMO-public.pem"


def authority_private() -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(AUTHORITY_PRIVATE_PEM.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def authorities() -> dict[str, ed25519.Ed25519PublicKey]:
    return load_authority_keys([AUTHORITY_PUBLIC_PEM.read_bytes()])


def catalog_document() -> dict[str, Any]:
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    return document


def fake_revocations(count: int, seed: int = 0) -> list[str]:
    return [hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(count)]


def payload(
    *,
    version: int = 1,
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=2),
    revoked: Iterable[str] = (),
    trust: Mapping[bytes, Any] | None = None,
    next_authority: ed25519.Ed25519PublicKey | None = None,
) -> dict[str, Any]:
    return build_payload(
        catalog_document(),
        version=version,
        issued_at=issued_at or datetime.now(UTC),
        valid_for=valid_for,
        trust_keys=trust_keys_from_store(demo_trust_store() if trust is None else trust),
        revoked=revoked,
        next_authority=next_authority,
    )


def signed(key: ed25519.Ed25519PrivateKey | None = None, **kwargs: Any) -> bytes:
    return sign_bundle(payload(**kwargs), key or authority_private())


def verified(**kwargs: Any) -> PolicyBundle:
    return verify_bundle(signed(**kwargs), authorities())


def demo_issuer() -> DemoIssuer:
    return load_demo_issuer("EdDSA")


class LoopbackBackend:
    """A real HTTP/1.1 server on 127.0.0.1 whose behaviour the test switches at will.

    ``mode``: "serve" (GET /v1/bundle with ETag / 304; POST /v1/eligibility answers
    ``decision_body``), "drop" (read the request, close without a word), "stall" (read the
    request, never answer), "error" (HTTP 503), "huge" (declare a body over the size limit),
    "raw" (write ``raw_answer`` as it is: any hostile bytes), "trickle" (the "serve" answer, one
    byte every ``trickle_seconds``).
    """

    def __init__(self, body: bytes = b"", etag: str | None = None) -> None:
        import asyncio

        self.mode = "serve"
        self.body = body
        self.etag = etag
        self.decision_body: bytes = b"{}"
        self.raw_answer: bytes = b""
        self.trickle_seconds = 1.0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server: asyncio.base_events.Server | None = None
        self._stalled: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def publish(self, body: bytes, etag: str | None = None) -> None:
        self.body = body
        self.etag = etag if etag is not None else '"' + hashlib.sha256(body).hexdigest() + '"'

    async def start(self) -> LoopbackBackend:
        import asyncio

        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        for writer in self._stalled:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: Any, writer: Any) -> None:
        import asyncio

        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length:
            await reader.readexactly(length)
        self.requests.append((f"{method} {path}", headers))
        mode = self.mode
        if mode == "drop":
            writer.close()
            return
        if mode == "stall":
            self._stalled.append(writer)
            return
        if mode == "raw":
            writer.write(self.raw_answer)
        elif mode == "trickle":
            answer = self._answer(path, headers)
            self._stalled.append(writer)
            with contextlib.suppress(ConnectionError):
                for index in range(len(answer)):
                    if writer.is_closing() or reader.at_eof():
                        break
                    writer.write(answer[index:index + 1])
                    await writer.drain()
                    await asyncio.sleep(self.trickle_seconds)
        elif mode == "error":
            self._respond(writer, "503 Service Unavailable", b"{}", {})
        elif mode == "huge":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{")
        elif path == "/v1/bundle":
            if self.etag is not None and headers.get("if-none-match") == self.etag:
                self._respond(writer, "304 Not Modified", b"", {"ETag": self.etag})
            else:
                extra = {"ETag": self.etag} if self.etag else {}
                self._respond(writer, "200 OK", self.body, extra)
        elif path == "/v1/eligibility":
            self._respond(writer, "200 OK", self.decision_body, {})
        else:
            self._respond(writer, "404 Not Found", b"{}", {})
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    def _answer(self, path: str, headers: Mapping[str, str]) -> bytes:
        body = self.body if path == "/v1/bundle" else self.decision_body
        head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", "Connection: close",
                "Content-Type: application/json"]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    @staticmethod
    def _respond(writer: Any, status: str, body: bytes, headers: Mapping[str, str]) -> None:
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close",
                "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
