"""The fleet's settings in backend.toml: checked once, each wrong value one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import BackendConfigError, load_settings

BASE = 'db = "records.sqlite3"\ndevice_tokens = "devices.json"\n'


def settings_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "backend.toml"
    path.write_text(BASE + text, encoding="utf-8")
    return load_settings(path, serving=False)


def test_the_fleet_is_off_unless_fleet_db_is_set(tmp_path: Path) -> None:
    assert settings_from(tmp_path, "").fleet.db is None


def test_fleet_settings_are_read_relative_to_the_file(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        'fleet_db = "fleet.sqlite3"\noperator_tokens = "ops.json"\n'
        "heartbeat_late_seconds = 60\nheartbeat_silent_seconds = 120\n"
        "heartbeat_per_hour = 30\nheartbeat_burst = 4\npolicy_warning_hours = 6\n",
    )
    assert settings.fleet.db == tmp_path / "fleet.sqlite3"
    assert settings.operator_tokens == tmp_path / "ops.json"
    assert (settings.fleet.late_seconds, settings.fleet.silent_seconds) == (60, 120)
    assert (settings.fleet.per_hour, settings.fleet.burst, settings.fleet.policy_warning_hours) == (30, 4, 6)


def test_a_postgresql_fleet_db_is_a_url_not_a_file(tmp_path: Path) -> None:
    fleet = settings_from(tmp_path, 'fleet_db = "postgresql://ops@db.internal/xinyi"\n').fleet
    assert (fleet.db, fleet.db_url) == (None, "postgresql://ops@db.internal/xinyi")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("heartbeat_late_seconds = nan\n", "heartbeat_late_seconds"),
        ("heartbeat_burst = 0\n", "heartbeat_burst"),
        ("heartbeat_per_hour = -1\n", "heartbeat_per_hour"),
        ('fleet_db = ""\n', "fleet_db"),
        ('fleet_db = "postgresql://h/x?nonsense=1"\n', "fleet_db"),
        ("heartbeat_late_seconds = 600\nheartbeat_silent_seconds = 600\n", "heartbeat_silent_seconds"),
        ("heartbeat_minutes = 5\n", "heartbeat_minutes"),
    ],
)
def test_a_wrong_fleet_value_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(BackendConfigError) as refused:
        settings_from(tmp_path, text)
    assert f": {key}:" in refused.value.detail


def test_a_service_without_a_fleet_has_no_fleet_routes_and_does_not_document_them(tmp_path: Path) -> None:
    from dataclasses import replace

    import httpx

    from backend.settings import FleetSettings
    from tests.support.backend import running_server
    from tests.support.fleet import DEVICE, OPERATOR, beat, fleet_settings

    settings = replace(fleet_settings(tmp_path), fleet=FleetSettings())
    with running_server(settings) as url, httpx.Client(base_url=url) as client:
        assert client.post("/v1/heartbeat", json=beat(), headers=DEVICE).status_code == 404
        assert client.get("/v1/fleet", headers=OPERATOR).status_code == 404
        assert client.get("/fleet").status_code == 404 and client.get("/metrics").status_code == 404
        assert "/v1/heartbeat" not in client.get("/v1/openapi.json").json()["paths"]
