"""The kiosk's only persistent data: the last good policy bundle, device state, and counters.

Two TinyDB files in the data folder, both on :class:`AtomicJSONStorage`:

* ``bundle.json``: which verified policy bundle is the last good one (its ETag, version,
  digest), the signed bytes themselves in ``bundle-<digest>.signed`` beside it;
* ``state.json``: device state (a fixed set of keys, each with its own validator, including
  the authority keys a rollover taught it) and aggregate counters (benefit x outcome x day).

They are separate because the bundle can be megabytes and counters change on every session:
one file would rewrite the bundle each time someone is checked.

The API is typed on purpose: there is no way to write a free-form document, so nothing about a
person (a name, an ID number, a payload) can end up on disk through this module. Whatever is
wrong with a file on disk (garbage, truncated, empty, a directory in its place, unreadable), it
is renamed aside with a timestamp suffix and the kiosk starts clean; if even that fails, the
store keeps working in memory and says so. It never raises on its own files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from kiosk.adapters.atomic_file import AtomicJSONStorage, remove_stale_temps, write_atomic
from kiosk.adapters.data_lock import data_folder_lock
from kiosk.adapters.store_schema import DEVICE_KEYS, ETAG, counter_key_ok, valid_bundle_file, valid_state_file
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.lazy_logging import lazy_logger
from kiosk.core.bundle import (
    MAX_BUNDLE_BYTES,
    PolicyBundle,
    iso_utc,
)
from kiosk.core.catalog import message
from kiosk.core.decision_records import Outcome
from kiosk.core.errors import KioskError

log = lazy_logger("kiosk.adapters.store")  # logging is imported at the first record (lazy_logging.py)

BUNDLE_FILE = "bundle.json"
STATE_FILE = "state.json"
COUNTER_DAYS_KEPT = 400


class StoreRefused(KioskError):
    """Someone tried to store what the kiosk may not keep (or in a shape it does not accept)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"store refused: {detail}",
            message("adapters.store.text"),
        )


@dataclass(frozen=True, slots=True)
class StoredBundle:
    """The last good bundle as stored: its signed bytes (verify before use) and their record."""

    raw: bytes
    etag: str | None
    version: int
    digest: str
    saved_at: datetime


class Store:
    """Typed access to the kiosk's files; see the module docstring for what it may hold."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.moved_aside: list[Path] = []
        self.problems: list[str] = []
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.problems.append(f"data folder unusable: {error.strerror}")
        self._memory_sidecars: dict[str, bytes] = {}
        self._bundle_db = self._open(BUNDLE_FILE, valid_bundle_file)
        self._state_db = self._open(STATE_FILE, valid_state_file)
        remove_stale_temps(self.data_dir, ".bundle-*.tmp")
        docs = self._rows(BUNDLE_FILE, "bundle")
        self._remove_sidecars(keep=docs[0]["file"] if docs else None)

    @property
    def persistent(self) -> bool:
        """False when a file could not be used and the store fell back to memory."""
        return all(not isinstance(db.storage, MemoryStorage) for db in (self._bundle_db, self._state_db))

    # -- bundle ---------------------------------------------------------------------------
    def save_bundle(self, bundle: PolicyBundle, etag: str | None) -> bool:
        """Keep a verified bundle as the last good one. Only a PolicyBundle can be saved.

        The signed bytes go to their own file, named by content (``bundle-<digest>.signed``),
        written atomically before the record in bundle.json points at it; a crash in between
        leaves the old record and the old file, and the orphan is removed on the next open.
        Kept apart so loading is one read, not a JSON parse of a megabytes-long string.
        """
        if not isinstance(bundle, PolicyBundle):
            raise StoreRefused("only a verified policy bundle can be saved as the bundle")
        if etag is not None and not ETAG.fullmatch(etag):
            etag = None  # an odd ETag only costs one full download next time
        name = f"bundle-{bundle.digest}.signed"
        with self._locked():
            if self._in_memory(BUNDLE_FILE):
                self._memory_sidecars = {name: bundle.raw}
            else:
                try:
                    write_atomic(self.data_dir / name, bundle.raw)
                except OSError as error:
                    self.problems.append(f"{name}: write failed ({error.strerror})")
                    log.error("store write failed on the bundle file (%s)", error.strerror)
                    return False
        document = {
            "file": name,
            "size": len(bundle.raw),
            "etag": etag,
            "version": bundle.version,
            "digest": bundle.digest,
            "saved_at": iso_utc(self._clock()),
        }
        # bundle.json holds nothing else, so it is written whole without reading the old one.
        saved = self._mutate(BUNDLE_FILE, lambda data: data.update(bundle={"1": document}),
                             fresh=True)
        if saved:
            self._remove_sidecars(keep=name)
        return saved

    def load_bundle(self) -> StoredBundle | None:
        """The stored bundle's bytes (verify them before use), or None."""
        docs = self._rows(BUNDLE_FILE, "bundle")
        if not docs:
            return None
        doc = docs[0]
        if self._in_memory(BUNDLE_FILE):
            raw = self._memory_sidecars.get(doc["file"])
        else:
            try:
                raw = read_bounded(self.data_dir / doc["file"], MAX_BUNDLE_BYTES)
            except FileReadError as error:
                self.problems.append(f"{doc['file']}: {error}")
                raw = None
        if raw is None or len(raw) != doc["size"]:
            log.warning("stored policy bundle file is missing or cut short; a sync will replace it")
            return None
        return StoredBundle(
            raw=raw,
            etag=doc["etag"],
            version=doc["version"],
            digest=doc["digest"],
            saved_at=datetime.fromisoformat(doc["saved_at"]),
        )

    def clear_bundle(self) -> bool:
        cleared = self._mutate(BUNDLE_FILE, lambda data: data.pop("bundle", None))
        if cleared:
            self._remove_sidecars(keep=None)
        return cleared

    def _remove_sidecars(self, keep: str | None) -> None:
        if self._in_memory(BUNDLE_FILE):
            return
        with contextlib.suppress(OSError):
            for path in self.data_dir.glob("bundle-*.signed"):
                if path.name != keep:
                    path.unlink(missing_ok=True)

    def _in_memory(self, name: str) -> bool:
        return isinstance(self._db(name).storage, MemoryStorage)

    # -- device state ---------------------------------------------------------------------
    def set_state(self, key: str, value: object) -> bool:
        return self.set_states({key: value})

    def set_states(self, values: Mapping[str, object]) -> bool:
        """Set several device state keys in one atomic write; all are checked first."""
        for key, value in values.items():
            validator = DEVICE_KEYS.get(key)
            if validator is None:
                raise StoreRefused("not a device state key the kiosk keeps")
            if not validator(value):
                raise StoreRefused(f"value not allowed for device state {key!r}")

        def change(data: dict[str, Any]) -> bool:
            table = data.setdefault("device", {})
            index = {row["key"]: doc_id for doc_id, row in table.items()}
            changed = False
            for key, value in values.items():
                doc_id = index.get(key)
                if doc_id is not None and table[doc_id]["value"] == value:
                    continue
                table[doc_id or _next_id(table)] = {"key": key, "value": value}
                changed = True
            return changed

        return self._mutate(STATE_FILE, change)

    def get_state(self, key: str) -> Any:
        if key not in DEVICE_KEYS:
            raise StoreRefused("not a device state key the kiosk keeps")
        for row in self._rows(STATE_FILE, "device"):
            if row["key"] == key:
                return row["value"]
        return None

    # -- counters -------------------------------------------------------------------------
    def bump_counter(self, benefit_id: str, outcome: Outcome | str, day: date | str) -> bool:
        """Add one to benefit x outcome x day; days older than COUNTER_DAYS_KEPT are dropped."""
        day_text = day.isoformat() if isinstance(day, date) else day
        outcome_text = outcome.value if isinstance(outcome, Outcome) else outcome
        if not counter_key_ok(benefit_id, outcome_text, day_text):
            raise StoreRefused("a counter is benefit id x outcome x ISO day, nothing else")
        oldest = (date.fromisoformat(day_text) - timedelta(days=COUNTER_DAYS_KEPT)).isoformat()

        def change(data: dict[str, Any]) -> None:
            table = data.setdefault("counters", {})
            for doc_id in [i for i, row in table.items() if row["day"] < oldest]:
                del table[doc_id]
            for row in table.values():
                if (row["day"], row["benefit"], row["outcome"]) == (day_text, benefit_id, outcome_text):
                    row["count"] += 1
                    return
            table[_next_id(table)] = {
                "day": day_text, "benefit": benefit_id, "outcome": outcome_text, "count": 1
            }

        return self._mutate(STATE_FILE, change)

    def counters(self, day: date | str) -> dict[tuple[str, str], int]:
        day_text = day.isoformat() if isinstance(day, date) else day
        return {
            (row["benefit"], row["outcome"]): row["count"]
            for row in self._rows(STATE_FILE, "counters")
            if row["day"] == day_text
        }

    # -- machinery ------------------------------------------------------------------------
    def _open(self, name: str, valid: Callable[[Mapping[str, Any]], bool]) -> TinyDB:
        path = self.data_dir / name
        try:
            storage = AtomicJSONStorage(str(path))
            document = storage.read()
            if document is not None and not valid(document):
                raise ValueError("unexpected content")
            return TinyDB(str(path), storage=AtomicJSONStorage)
        except (OSError, ValueError, RecursionError) as error:
            return self._recover(path, type(error).__name__)

    def _recover(self, path: Path, why: str) -> TinyDB:
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            aside = path  # nothing on disk to move; the folder itself is the problem
        except OSError as error:
            self.problems.append(f"{path.name}: {why}, and it cannot be moved aside ({error.strerror})")
            log.error("store file %s unusable (%s); keeping data in memory only", path.name, why)
            return TinyDB(storage=MemoryStorage)
        if aside != path:
            self.moved_aside.append(aside)
            log.warning("store file %s was unusable (%s); moved aside, starting clean", path.name, why)
        try:
            storage_check = AtomicJSONStorage(str(path))
            storage_check.read()
            return TinyDB(str(path), storage=AtomicJSONStorage)
        except (OSError, ValueError) as error:
            self.problems.append(f"{path.name}: cannot start clean ({type(error).__name__})")
            return TinyDB(storage=MemoryStorage)

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return data_folder_lock(self.data_dir)

    def _rows(self, name: str, table: str) -> list[dict[str, Any]]:
        """All documents of one table (read fresh: `kiosk sync` may have written meanwhile)."""
        with self._locked():
            document = self._checked_document(name)
        return list((document or {}).get(table, {}).values())

    def _mutate(
        self, name: str, change: Callable[[dict[str, Any]], Any], *, fresh: bool = False
    ) -> bool:
        """One read-modify-write, one atomic file replacement: a crash leaves old or new.

        A ``change`` that returns False changed nothing: the file already holds it, and is not
        written again (each `kiosk check --offline` re-learns the same authority keys, and an
        fsync'd write was a tenth of its run)."""
        with self._locked():
            document = {} if fresh else self._checked_document(name)
            if document is None:
                return False
            if change(document) is False:
                return True
            try:
                self._db(name).storage.write(document)
            except OSError as error:
                self.problems.append(f"{name}: write failed ({error.strerror})")
                log.error("store write failed on %s (%s)", name, error.strerror)
                return False
            return True

    def _db(self, name: str) -> TinyDB:
        return self._bundle_db if name == BUNDLE_FILE else self._state_db

    def _checked_document(self, name: str) -> dict[str, Any] | None:
        """The file's content if valid; a file that went bad since open is set aside first."""
        valid = valid_bundle_file if name == BUNDLE_FILE else valid_state_file
        for attempt in (1, 2):
            try:
                document = self._db(name).storage.read() or {}
                if not valid(document):
                    raise ValueError("unexpected content")
                return document
            except (ValueError, RecursionError, IsADirectoryError, PermissionError) as error:
                if attempt == 2:
                    break
                recovered = self._recover(self.data_dir / name, type(error).__name__)
                if name == BUNDLE_FILE:
                    self._bundle_db = recovered
                else:
                    self._state_db = recovered
            except OSError as error:
                self.problems.append(f"{name}: read failed ({error.strerror})")
                log.error("store read failed on %s (%s)", name, error.strerror)
                break
        return None


def _next_id(table: Mapping[str, Any]) -> str:
    return str(max((int(i) for i in table), default=0) + 1)
