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
    return declared_value(pem, KIND_HEADER)


def header_line(name: str, value: str) -> bytes:
    """Another header line (a device key names its device: ``Xinyi-Device: kiosk-0042``)."""
    return f"{name}: {value}\n".encode("ascii")


def declared_value(pem: bytes, header: str) -> str | None:
    """The value of one header line before the PEM block, or None.

    >>> declared_value(b"Xinyi-Device: kiosk-7\\n-----BEGIN PUBLIC KEY-----\\n", "Xinyi-Device")
    'kiosk-7'
    """
    head = pem.split(b"-----BEGIN", 1)[0]
    for line in head.splitlines():
        name, _, value = line.partition(b":")
        if name.strip() == header.encode("ascii"):
            return value.strip().decode("ascii", "replace")[:64]
    return None
