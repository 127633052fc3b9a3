"""kiosk/store.py on real files: what it keeps, what it refuses, and how it survives bad files."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.adapters.store import BUNDLE_FILE, STATE_FILE, Store, StoreRefused
from kiosk.core.decision_records import Outcome
from tests.support.bundle import verified

DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_bundle_state_and_counters_survive_reopening(tmp_path: Path) -> None:
    bundle = verified(version=3, issued_at=NOW)
    store = Store(tmp_path)
    assert store.load_bundle() is None
    assert store.save_bundle(bundle, '"etag-1"')
    store.set_state("health", "degraded")
    store.set_states({"device_id": "kiosk-0042", "last_refusal_reason": "expired"})
    for _ in range(3):
        store.bump_counter("expedited-permit", Outcome.ELIGIBLE, DAY)
    store.bump_counter("expedited-permit", "not_eligible", DAY.isoformat())

    reopened = Store(tmp_path)
    stored = reopened.load_bundle()
    assert stored is not None
    assert stored.raw == bundle.raw and stored.etag == '"etag-1"' and stored.version == 3
    assert stored.digest == bundle.digest
    assert reopened.get_state("health") == "degraded"
    assert reopened.get_state("device_id") == "kiosk-0042"
    assert reopened.get_state("last_sync_outcome") is None
    assert reopened.counters(DAY) == {
        ("expedited-permit", "eligible"): 3,
        ("expedited-permit", "not_eligible"): 1,
    }
    assert reopened.counters(date(2026, 11, 24)) == {}
    assert reopened.persistent and not reopened.moved_aside


def test_the_file_is_tinydb_json_with_only_allowed_tables(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.bump_counter("expedited-permit", Outcome.UNDETERMINED, DAY)
    store.set_state("default_locale", "en")
    document = json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8"))
    assert set(document) == {"counters", "device"}
    assert list(document["counters"].values()) == [
        {"day": "2026-11-25", "benefit": "expedited-permit", "outcome": "undetermined", "count": 1}
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "张三"),
        ("subject", "91350100M000100Y43"),
        ("last_scan", "XK1:6BFOXN*TS0BI$ZD4N9"),
        ("device_id", "张三"),
        ("device_id", "Zhang San"),
        ("health", "110105194912310021"),
        ("last_sync_at", "yesterday"),
        ("default_locale", "fr"),
        ("last_refusal_reason", "some words"),
        ("clock_skew_seconds", "110105194912310021"),
        ("clock_checked_at", "张三"),
    ],
)
def test_device_state_refuses_anything_but_its_keys_and_values(tmp_path: Path, key: str, value: str) -> None:
    store = Store(tmp_path)
    with pytest.raises(StoreRefused):
        store.set_state(key, value)
    with pytest.raises(StoreRefused):
        store.set_states({"health": "online", key: value})
    assert store.get_state("health") is None  # nothing of a refused batch was written
    state_file = tmp_path / STATE_FILE
    assert not state_file.exists() or value not in state_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("benefit", "outcome", "day"),
    [
        ("110105194912310021", "eligible", "2026-11-25"),  # a resident ID number
        ("91350100M000100Y43", "eligible", "2026-11-25"),  # a USCC
        ("zhang-san-13812345678", "eligible", "2026-11-25"),  # a phone number inside
        ("张三", "eligible", "2026-11-25"),
        ("expedited-permit", "maybe", "2026-11-25"),
        ("expedited-permit", "eligible", "25/11/2026"),
        ("expedited-permit", "eligible", "2026-11-25T08:00:00"),
        ("Expedited-Permit", "eligible", "2026-11-25"),
        ("x" * 65, "eligible", "2026-11-25"),
    ],
)
def test_counters_refuse_anything_but_benefit_outcome_day(tmp_path: Path, benefit: str, outcome: str, day: str) -> None:
    store = Store(tmp_path)
    with pytest.raises(StoreRefused) as caught:
        store.bump_counter(benefit, outcome, day)
    assert benefit not in caught.value.detail
    assert store.counters(day if len(day) == 10 else DAY) == {}


def test_only_a_verified_bundle_can_be_saved(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(StoreRefused):
        store.save_bundle('{"name": "张三"}', None)  # type: ignore[arg-type]
    with pytest.raises(StoreRefused):
        store.get_state("name")
    # There is no free-form way in: the public surface is the typed methods only.
    public = {name for name in dir(store) if not name.startswith("_")}
    assert public == {
        "bump_counter", "clear_bundle", "counters", "data_dir", "get_state", "load_bundle",
        "moved_aside", "persistent", "problems", "save_bundle", "set_state", "set_states",
    }


def test_an_unusual_etag_is_dropped_not_stored(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_bundle(verified(issued_at=NOW), "no quotes and spaces")
    stored = store.load_bundle()
    assert stored is not None and stored.etag is None


def _break(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"\x00\xffnot json at all")
    elif how == "truncated":
        path.write_bytes(b'{"counters": {"1": {"day": "2026-11-25", "benef')
    elif how == "tail":  # what an in-place rewrite leaves: a new short doc + the old tail
        path.write_bytes(b'{"counters": {}}ounters": {"1": {}}}')
    elif how == "directory":
        path.mkdir()
        (path / "inside").write_text("x")
    elif how == "foreign-table":
        path.write_text(json.dumps({"people": {"1": {"name": "张三"}}}), encoding="utf-8")
    elif how == "bad-row":
        path.write_text(json.dumps({"device": {"1": {"key": "name", "value": "张三"}}}), encoding="utf-8")
    elif how == "deep":
        path.write_bytes(b"[" * 200_000)
    elif how == "not-utf8":
        path.write_bytes('{"device": {}}'.encode("utf-16"))


@pytest.mark.parametrize(
    "how", ["garbage", "truncated", "tail", "directory", "foreign-table", "bad-row", "deep", "not-utf8"]
)
@pytest.mark.parametrize("name", [STATE_FILE, BUNDLE_FILE])
def test_a_bad_file_is_moved_aside_and_the_kiosk_starts_clean(tmp_path: Path, how: str, name: str) -> None:
    _break(tmp_path / name, how)
    store = Store(tmp_path, clock=lambda: NOW)
    assert len(store.moved_aside) == 1
    aside = store.moved_aside[0]
    assert aside.name.startswith(f"{name}.corrupt-20261125T080000")
    assert aside.exists()
    assert store.load_bundle() is None
    assert store.counters(DAY) == {}
    assert store.bump_counter("expedited-permit", "eligible", DAY)
    assert store.save_bundle(verified(issued_at=NOW), None)
    again = Store(tmp_path)
    assert again.counters(DAY) == {("expedited-permit", "eligible"): 1}
    assert again.load_bundle() is not None and not again.moved_aside


def test_an_empty_file_is_simply_a_fresh_store(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_bytes(b"")
    store = Store(tmp_path)
    assert not store.moved_aside
    assert store.bump_counter("expedited-permit", "eligible", DAY)
    assert Store(tmp_path).counters(DAY) == {("expedited-permit", "eligible"): 1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_text("{}", encoding="utf-8")
    path.chmod(0)
    store = Store(tmp_path)
    assert len(store.moved_aside) == 1
    assert store.bump_counter("expedited-permit", "eligible", DAY)


def test_a_file_that_goes_bad_while_running_is_recovered(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.bump_counter("expedited-permit", "eligible", DAY)
    (tmp_path / STATE_FILE).write_bytes(b"garbage")
    assert store.counters(DAY) == {}
    assert len(store.moved_aside) == 1
    assert store.bump_counter("expedited-permit", "eligible", DAY)
    assert Store(tmp_path).counters(DAY) == {("expedited-permit", "eligible"): 1}


def test_stale_temp_files_from_a_crash_are_removed_on_open(tmp_path: Path) -> None:
    stale = [tmp_path / f".{STATE_FILE}.abc123.tmp", tmp_path / f".{BUNDLE_FILE}.x.tmp"]
    for path in stale:
        path.write_bytes(b'{"half": ')
    Store(tmp_path)
    assert not any(path.exists() for path in stale)


def test_a_data_folder_that_cannot_exist_leaves_a_working_memory_store(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    store = Store(blocker)
    assert not store.persistent
    assert store.problems
    assert store.bump_counter("expedited-permit", "eligible", DAY)
    assert store.counters(DAY) == {("expedited-permit", "eligible"): 1}
    assert store.save_bundle(verified(issued_at=NOW), None)
    assert store.load_bundle() is not None


def test_old_counter_days_are_dropped(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.bump_counter("expedited-permit", "eligible", date(2024, 1, 1))
    store.bump_counter("expedited-permit", "eligible", DAY)
    assert store.counters(date(2024, 1, 1)) == {}
    assert store.counters(DAY) == {("expedited-permit", "eligible"): 1}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=512), name=st.sampled_from([STATE_FILE, BUNDLE_FILE]))
def test_any_bytes_on_disk_never_crash_the_store(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, name: str
) -> None:
    folder = tmp_path_factory.mktemp("store")
    (folder / name).write_bytes(content)
    store = Store(folder)
    assert store.load_bundle() is None
    assert store.counters(DAY) == {}
    assert store.bump_counter("expedited-permit", "eligible", DAY)
    assert Store(folder).counters(DAY) == {("expedited-permit", "eligible"): 1}


def test_the_signed_bytes_live_beside_the_record_and_orphans_are_removed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first, second = verified(version=1, issued_at=NOW), verified(version=2, issued_at=NOW)
    store.save_bundle(first, None)
    assert (tmp_path / f"bundle-{first.digest}.signed").read_bytes() == first.raw
    store.save_bundle(second, None)
    assert sorted(p.name for p in tmp_path.glob("bundle-*.signed")) == [f"bundle-{second.digest}.signed"]
    # A crash after writing a new bundle file but before the record: the orphan goes on open.
    (tmp_path / f"bundle-{'0' * 64}.signed").write_bytes(b"orphan")
    (tmp_path / ".bundle-x.signed.abc.tmp").write_bytes(b"half")
    reopened = Store(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("bundle-*.signed")) == [f"bundle-{second.digest}.signed"]
    assert not list(tmp_path.glob(".bundle-*.tmp"))
    stored = reopened.load_bundle()
    assert stored is not None and stored.raw == second.raw
    assert reopened.clear_bundle() and reopened.load_bundle() is None
    assert not list(tmp_path.glob("bundle-*.signed"))


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_lost_or_cut_bundle_file_reads_as_no_bundle(tmp_path: Path, damage: str) -> None:
    bundle = verified(issued_at=NOW)
    Store(tmp_path).save_bundle(bundle, None)
    sidecar = tmp_path / f"bundle-{bundle.digest}.signed"
    if damage == "missing":
        sidecar.unlink()
    else:
        sidecar.write_bytes(bundle.raw[:100])
    store = Store(tmp_path)
    assert store.load_bundle() is None
    assert store.save_bundle(bundle, None)
    loaded = Store(tmp_path).load_bundle()
    assert loaded is not None and loaded.raw == bundle.raw
