"""`kiosk-backend operator-token issue | revoke | list`: who may see the fleet.

    kiosk-backend operator-token issue  (--config backend.toml | --operators FILE) --operator ops-wang
    kiosk-backend operator-token revoke (--config backend.toml | --operators FILE) --operator ops-wang
    kiosk-backend operator-token list   (--config backend.toml | --operators FILE)

Operator tokens open ``GET /v1/fleet``, ``GET /metrics`` and the dashboard at ``/fleet``, and
nothing else; device tokens never open them. They are kept like device tokens (an id and a
salted HMAC, never the token; backend/auth.py) in the file the config's ``operator_tokens``
names. ``issue`` prints the token once; ``revoke`` ends it, and every dashboard session it
opened, within a second. Exit codes: 0 done, 2 usage or a faulty config / tokens file (left as
it was), 3 ``revoke`` of an operator that has no token.
"""

from __future__ import annotations

from typing import Any

from backend.auth import OPERATORS
from backend.commands.token_file_actions import TokenCommand, register_token_command

SPEC = TokenCommand("operator-token", OPERATORS, "operator_tokens", "--operators", "ops-wang")


def register(subparsers: Any) -> None:
    register_token_command(subparsers, SPEC, __doc__)
