"""kiosk.station.paths: argument > environment (as kiosk.service sets it) > the image's default."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.errors import KioskError
from kiosk.station.paths import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATA_DIR,
    PathSettingError,
    config_path,
    data_dir,
)
from tests.support.image import unit_environment


def test_defaults_are_where_the_image_puts_things() -> None:
    assert config_path(environ={}) == Path("/etc/xinyi-kiosk/kiosk.toml") == DEFAULT_CONFIG_PATH
    assert data_dir(environ={}) == Path("/var/lib/xinyi-kiosk") == DEFAULT_DATA_DIR


def test_environment_beats_default_and_argument_beats_environment(tmp_path: Path) -> None:
    environ = {"XINYI_CONFIG": "/srv/kiosk.toml", "XINYI_DATA_DIR": "/srv/data"}
    assert config_path(environ=environ) == Path("/srv/kiosk.toml")
    assert data_dir(environ=environ) == Path("/srv/data")
    assert config_path(tmp_path / "mine.toml", environ) == tmp_path / "mine.toml"
    assert data_dir(str(tmp_path), environ) == tmp_path


def test_empty_environment_value_means_unset() -> None:
    environ = {"XINYI_CONFIG": "", "XINYI_DATA_DIR": "  "}
    assert config_path(environ=environ) == DEFAULT_CONFIG_PATH
    assert data_dir(environ=environ) == DEFAULT_DATA_DIR


def test_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XINYI_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path


def test_nothing_is_touched_on_disk(tmp_path: Path) -> None:
    missing = tmp_path / "not" / "there"
    assert data_dir(missing, {}) == missing
    assert not missing.exists()


@pytest.mark.parametrize(("argument", "problem"), [("", "is empty"), ("   ", "is empty"), ("/a\0b", "NUL")])
def test_unusable_argument_is_a_typed_error(argument: str, problem: str) -> None:
    with pytest.raises(PathSettingError) as caught:
        config_path(argument, {})
    assert problem in caught.value.detail
    assert "--config" in caught.value.detail
    assert caught.value.text.get("zh-CN") and caught.value.text.get("en")


def test_unusable_environment_value_names_the_variable() -> None:
    with pytest.raises(PathSettingError) as caught:
        data_dir(environ={"XINYI_DATA_DIR": "/var/lib/\0x"})
    assert caught.value.detail.startswith("XINYI_DATA_DIR")


def test_the_unit_sets_the_same_paths_the_app_defaults_to() -> None:
    environment = unit_environment()
    assert config_path(environ=environment) == DEFAULT_CONFIG_PATH
    assert data_dir(environ=environment) == DEFAULT_DATA_DIR


@settings(max_examples=200, deadline=None)
@given(argument=st.one_of(st.none(), st.text(max_size=50)), env_value=st.text(max_size=50))
def test_any_value_gives_a_path_or_a_kiosk_error(argument: str | None, env_value: str) -> None:
    for choose in (config_path, data_dir):
        try:
            chosen = choose(argument, {"XINYI_CONFIG": env_value, "XINYI_DATA_DIR": env_value})
        except KioskError:
            continue
        assert isinstance(chosen, Path)
        assert str(chosen).strip()
