"""The one line before a PEM block that says what a key is for (``kiosk-backend keys new``
writes it; backend/keys.py explains the kinds). OpenSSL and `cryptography` skip text before
the block, so the files stay ordinary PEM; a file without the line declares nothing.

>>> declared_kind(b"Xinyi-Key-Kind: issuer\\n-----BEGIN PUBLIC KEY-----\\n")
'issuer'
>>> declared_kind(b"-----BEGIN PUBLIC KEY-----\\n") is None
True
"""

from __future__ import annotations

KIND_HEADER = "Xinyi-Key-Kind"


def kind_line(kind: str) -> bytes:
    return f"{KIND_HEADER}: {kind}\n".encode("ascii")


def declared_kind(pem: bytes) -> str | None:
    """The kind the file's header line names, or None."""
    head = pem.split(b"-----BEGIN", 1)[0]
    for line in head.splitlines():
        name, _, value = line.partition(b":")
        if name.strip() == KIND_HEADER.encode("ascii"):
            return value.strip().decode("ascii", "replace")[:32]
    return None
