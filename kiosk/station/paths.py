"""Where the kiosk finds its config file and keeps its data.

On the image: /etc/xinyi-kiosk/kiosk.toml (read-only root) and /var/lib/xinyi-kiosk (the one
writable partition). A command-line argument beats the environment (XINYI_CONFIG,
XINYI_DATA_DIR, as kiosk.service sets them), which beats the default. Pure functions: nothing
here touches the file system, so callers decide what a missing file means.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

DEFAULT_CONFIG_PATH = Path("/etc/xinyi-kiosk/kiosk.toml")
DEFAULT_DATA_DIR = Path("/var/lib/xinyi-kiosk")
# The environment kiosk.service (and a technician) may set; the command line beats each of them.
CONFIG_ENV = "XINYI_CONFIG"
DATA_DIR_ENV = "XINYI_DATA_DIR"
BACKEND_URL_ENV = "XINYI_BACKEND_URL"
DEVICE_TOKEN_ENV = "XINYI_DEVICE_TOKEN"

_PATH_TEXT = message("station.paths.path")


class PathSettingError(KioskError):
    """A config or data location that cannot be a path (empty, or holding a NUL byte)."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}", _PATH_TEXT)
        self.source = source


def config_path(argument: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file to read: the argument, else $XINYI_CONFIG, else the system path."""
    return _choose(argument, "--config", CONFIG_ENV, DEFAULT_CONFIG_PATH, environ)


def data_dir(argument: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for the bundle cache and counters: argument, $XINYI_DATA_DIR, or default."""
    return _choose(argument, "--data-dir", DATA_DIR_ENV, DEFAULT_DATA_DIR, environ)


def _choose(
    argument: str | os.PathLike[str] | None,
    argument_name: str,
    env_name: str,
    default: Path,
    environ: Mapping[str, str] | None,
) -> Path:
    if argument is not None:
        return _checked(os.fspath(argument), argument_name)
    env = os.environ if environ is None else environ
    # systemd's `Environment=XINYI_CONFIG=` sets an empty value, which means "not set".
    value = env.get(env_name, "")
    if value.strip():
        return _checked(value, env_name)
    return default


def _checked(value: str, source: str) -> Path:
    if not value.strip():
        raise PathSettingError(source, "is empty")
    if "\0" in value:
        raise PathSettingError(source, "contains a NUL byte")
    return Path(value)
