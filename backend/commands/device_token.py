"""`kiosk-backend device-token issue | revoke | list`: the devices allowed to ask, by token.

    kiosk-backend device-token issue  (--config backend.toml | --tokens FILE) --device kiosk-0042
    kiosk-backend device-token revoke (--config backend.toml | --tokens FILE) --device kiosk-0042
    kiosk-backend device-token list   (--config backend.toml | --tokens FILE)

``issue`` prints the new token once on stdout (put it in the kiosk's token file); the tokens
file keeps only its id and HMAC-SHA256(salt, token) with a fresh salt (backend/auth.py). Issuing
again for a device replaces its token. ``revoke`` removes the device; a running service reads
the changed file within a second and refuses the token from then on, no restart. The file is
replaced atomically. Exit codes: 0 done, 2 usage or a faulty config / tokens file (left as
it was), 3 ``revoke`` of a device that has no token.
"""

from __future__ import annotations

from typing import Any

from backend.auth import DEVICES
from backend.commands.token_file_actions import TokenCommand, register_token_command

SPEC = TokenCommand("device-token", DEVICES, "device_tokens", "--tokens", "kiosk-0042")


def register(subparsers: Any) -> None:
    register_token_command(subparsers, SPEC, __doc__)
