"""Device and operator tokens in PostgreSQL (``device_tokens`` / ``operator_tokens`` naming a
URL): one table for every node, so `device-token revoke` reaches all of them at once.

Each kind keeps a counter in ``meta`` (``tokens:devices``, ``tokens:operators``) that every
change raises in the same transaction: a running worker reads that one row once a second (its
`signature`) and the rows themselves only when it moved. A change locks the counter's row
first, so two `issue` commands at once apply one after the other rather than one losing the
other's token. The rows hold what a tokens file holds, salted HMACs, never a token.

While the database is down, `signature` fails at once (backend/pg/connect.py) and the running
service keeps the tokens it read last (`ReloadingRegistry`, backend/token_sources.py).
"""

from __future__ import annotations

from typing import Any

import psycopg

from backend.auth import DeviceCredential, DeviceTokensError, TokensFileShape, credential_from_json
from backend.pg.connect import open_checked, reason, where
from backend.token_sources import Edit

Connection = psycopg.Connection[Any]


class TokensUnavailable(Exception):
    """The tokens' database cannot be reached now."""


class PostgresTokens:
    def __init__(self, url: str, shape: TokensFileShape, *, setting: str, origin: str) -> None:
        self.shape = shape
        self.name = f"{where(url)} ({setting})"
        self._counter = f"tokens:{shape.list_key}"
        self.database = open_checked(url, setting, origin=origin, size=1, unavailable=TokensUnavailable)

    def signature(self) -> object:
        try:
            row = self.database.run(
                lambda db: db.execute("SELECT value FROM meta WHERE key = %s", (self._counter,)).fetchone()
            )
        except (TokensUnavailable, psycopg.Error):
            raise DeviceTokensError(self.name, "cannot be reached just now") from None
        return row[0] if row else None

    def read(self) -> list[DeviceCredential]:
        try:
            return self.database.run(self._read)
        except (TokensUnavailable, psycopg.Error) as error:
            raise DeviceTokensError(self.name, f"cannot be read ({reason(error)})") from None

    def change(self, edit: Edit) -> None:
        def in_transaction(db: Connection) -> None:
            with db.transaction():
                db.execute("SELECT value FROM meta WHERE key = %s FOR UPDATE", (self._counter,))
                changed = edit(self._read(db))
                db.execute("DELETE FROM tokens WHERE kind = %s", (self.shape.list_key,))
                with db.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO tokens VALUES (%s, %s, %s, %s, %s, %s)",
                        [
                            (self.shape.list_key, c.device, c.token_id, c.salt.hex(), c.digest.hex(), c.issued_at)
                            for c in changed
                        ],
                    )
                db.execute("UPDATE meta SET value = value + 1 WHERE key = %s", (self._counter,))

        try:
            self.database.run(in_transaction)
        except (TokensUnavailable, psycopg.Error) as error:
            raise DeviceTokensError(self.name, f"cannot be written ({reason(error)}); it is unchanged") from None

    def _read(self, db: Connection) -> list[DeviceCredential]:
        rows = db.execute(
            "SELECT holder, token_id, salt, hmac_sha256, issued_at FROM tokens WHERE kind = %s ORDER BY holder",
            (self.shape.list_key,),
        ).fetchall()
        # The same checks as a file's entries: a row written by hand is held to them too.
        return [
            credential_from_json(
                {self.shape.name_key: holder, "token_id": token_id, "salt": salt, "hmac_sha256": digest}
                | ({"issued_at": issued_at} if issued_at is not None else {}),
                self.name,
                index,
                self.shape,
            )
            for index, (holder, token_id, salt, digest, issued_at) in enumerate(rows)
        ]

    def close(self) -> None:
        self.database.close()
