"""Reading a backend answer within a size limit and a total deadline, for every exchange.

httpx's own timeouts are per read: a backend sending one byte a second never trips them, and
``response.aread()`` holds the whole body before anyone can look at its size (a 600 MB answer
took `kiosk check` to 784 MB). So every answer is streamed here, counted as it arrives and
dropped at the limit, and the whole exchange runs under one deadline. Bodies are asked for
uncompressed (``Accept-Encoding: identity``) and an encoded one is refused, so the limit
counts the bytes that are kept, never a zip bomb's small outside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

# Sent with every request, so the limit in read_body counts the bytes actually kept.
IDENTITY_HEADERS = {"Accept-Encoding": "identity"}


class BodyRefused(Exception):
    """The answer's body was not read whole: over ``limit``, or in an encoding not asked for."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason  # "too_large" | "encoded"
        self.detail = detail


class DeadlinePassed(Exception):
    """The whole exchange took longer than its deadline (seconds)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds
        self.detail = str(self)


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The body, at most ``limit`` bytes; refused as soon as it declares or reaches more."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise BodyRefused("encoded", f"answer is {encoding}-encoded; identity was asked for")
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        raise BodyRefused("too_large", f"declared {declared} bytes, the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            raise BodyRefused("too_large", f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def within(seconds: float, exchange: Callable[[], Awaitable[T]]) -> T:
    """Run ``exchange`` with a total deadline; DeadlinePassed when it runs over."""
    import asyncio  # here: an offline `kiosk check` imports this module and never waits

    try:
        async with asyncio.timeout(seconds):
            return await exchange()
    except TimeoutError:
        raise DeadlinePassed(seconds) from None

