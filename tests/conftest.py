"""The one root conftest: what every test folder shares.

Test helpers live in ``tests/support/`` and are imported as ``tests.support.<name>``; pytest
puts the repository root on ``sys.path`` (``pythonpath`` in pyproject.toml), so no test edits it.
"""

import logging
from collections.abc import Iterator

import pytest
from hypothesis import settings

from kiosk.common.logs import HANDLER_NAME

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock assertion, which
# no unit test here makes, and one a loaded CI machine trips at random. Tests that want fewer
# or more examples still say so with their own @settings.
settings.register_profile("kiosk", deadline=None)
settings.load_profile("kiosk")

# The PostgreSQL cluster fixtures (postgres_cluster, postgres_url), for any test folder.
pytest_plugins = ["tests.support.postgres"]


@pytest.fixture(autouse=True)
def _root_logging_left_as_found() -> Iterator[None]:
    """A test that runs a command in-process (serve, run) installs the product's log handler
    on the root logger; it must not keep writing into later tests' output."""
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    root.setLevel(level)
