"""Where a kind of token is kept: a JSON file (one machine, or copied to every node) or a table in
PostgreSQL (``device_tokens = "postgresql://..."``: every node at once, so a revocation reaches
the whole province within a second, with nothing to copy).

A source answers three things: a `signature` that changes whenever its tokens do (cheap: the
running service asks once a second), the tokens themselves (`read`), and `change`, which reads,
edits and writes them as one step (the `issue` / `revoke` commands). Both keep only salted
HMACs of the tokens (backend/auth.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from backend.auth import (
    RELOAD_CHECK_SECONDS,
    DeviceCredential,
    DeviceRegistry,
    DeviceTokensError,
    TokensFileShape,
    read_tokens_file,
    write_tokens_file,
)

LOG = logging.getLogger("backend.auth")

Edit = Callable[[list[DeviceCredential]], list[DeviceCredential]]


class TokenSource(Protocol):
    shape: TokensFileShape
    name: str  # for messages: the file, or the database (never a password)

    def signature(self) -> object:
        """Differs from the last answer once the tokens changed; DeviceTokensError if unknown now."""
        ...

    def read(self) -> list[DeviceCredential]:
        """Every credential; DeviceTokensError naming the source when they cannot be read."""
        ...

    def change(self, edit: Edit) -> None:
        """Write ``edit(current)`` in place of the current credentials, as one step."""
        ...

    def close(self) -> None: ...


class TokenFile:
    """A tokens file, replaced atomically on each change. ``missing_is_empty``: a file not
    written yet holds no tokens (the commands, the operators' file), rather than an error."""

    def __init__(self, path: Path, shape: TokensFileShape, *, missing_is_empty: bool = False) -> None:
        self.path = path
        self.shape = shape
        self.name = str(path)
        self.missing_is_empty = missing_is_empty

    def signature(self) -> object:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def read(self) -> list[DeviceCredential]:
        if self.missing_is_empty and not self.path.exists():
            return []
        return read_tokens_file(self.path, self.shape)

    def change(self, edit: Edit) -> None:
        changed = edit(self.read())
        try:
            write_tokens_file(self.path, changed, self.shape)
        except OSError as error:
            raise DeviceTokensError(self.name, f"cannot be written ({error.strerror}); it is unchanged") from None

    def close(self) -> None:
        return None


class ReloadingRegistry:
    """A DeviceRegistry that follows its source: once its signature changed, the tokens are
    read again, at most every `check_seconds`. A source that cannot be read then keeps the last
    good registry and logs why, once (a file is replaced atomically, a table in one
    transaction, so a reader never sees half a change)."""

    def __init__(
        self, source: TokenSource, *, check_seconds: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._clock = clock
        self._check_seconds = check_seconds
        self._signature = source.signature()
        self._registry = DeviceRegistry(source.read())
        self._next_check = clock() + check_seconds
        self._lock = threading.Lock()
        self._failing = False

    def device_for(self, authorization: str | None) -> str | None:
        self._maybe_refresh()
        return self._registry.device_for(authorization)

    @property
    def devices(self) -> tuple[str, ...]:
        self._maybe_refresh()
        return self._registry.devices

    def holds(self, name: str, token_id: str) -> bool:
        self._maybe_refresh()
        return self._registry.holds(name, token_id)

    def token_id_for(self, authorization: str | None) -> str | None:
        self._maybe_refresh()
        return self._registry.token_id_for(authorization)

    def _maybe_refresh(self) -> None:
        now = self._clock()
        if now >= self._next_check:
            self._refresh(now)

    def _refresh(self, now: float) -> None:
        holder = self.source.shape.name_key
        with self._lock:
            self._next_check = now + self._check_seconds
            try:
                signature = self.source.signature()
                if signature == self._signature:
                    self._failing = False
                    return
                registry = DeviceRegistry(self.source.read())
            except (DeviceTokensError, ValueError) as error:
                if not self._failing:
                    detail = error.detail if isinstance(error, DeviceTokensError) else str(error)
                    LOG.error("%s tokens not reloaded, keeping the previous ones: %s", holder, detail)
                self._failing = True
                return
            self._registry, self._signature, self._failing = registry, signature, False
            LOG.info("%s tokens reloaded: %d holder(s)", holder, len(registry.devices))


def token_source(
    path: Path | None, url: str | None, shape: TokensFileShape, *, setting: str, origin: str, missing_is_empty: bool
) -> TokenSource:
    """The source a setting names: its PostgreSQL URL, else its file."""
    if url is not None:
        from backend.pg.tokens import PostgresTokens  # file-based sites never import psycopg

        return PostgresTokens(url, shape, setting=setting, origin=origin)
    assert path is not None
    return TokenFile(path, shape, missing_is_empty=missing_is_empty)
