"""The one root conftest: what every test folder shares.

Test helpers live in ``tests/support/`` and are imported as ``tests.support.<name>``; pytest
puts the repository root on ``sys.path`` (``pythonpath`` in pyproject.toml), so no test edits it.
"""

# The PostgreSQL cluster fixtures (postgres_cluster, postgres_url), for any test folder.
pytest_plugins = ["tests.support.postgres"]
