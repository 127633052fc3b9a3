"""The service's own signing keys: made by `kiosk-backend keys new`, read from the config.

A key file is PEM as OpenSSL writes it, with one line before it naming what the key is for
(kiosk/core/key_files.py)::

    Xinyi-Key-Kind: authority
    (the PEM block of the private key, as OpenSSL writes it)

OpenSSL and `cryptography` skip text before the PEM block, so the files stay ordinary PEM;
the line lets the service refuse an issuer key named as the authority key (or the reverse)
instead of signing bundles nobody trusts. A file without the line (made with openssl) is
accepted when its algorithm fits the kind.

Kinds (a new one is one more entry in KINDS):

* ``authority`` signs policy bundles: Ed25519 only (the bundle signature is Ed25519).
* ``issuer`` signs credentials: Ed25519 (EdDSA) or P-256 (ES256).
* ``receipt`` signs the receipts of online decisions (``receipt_key``): Ed25519 or P-256.
* ``device`` signs one kiosk's offline receipts; made on or for the kiosk with ``kiosk keys
  new``, its files carry a second line, ``Xinyi-Device: <device id>``, and its public half
  goes into the service's ``device_keys`` (and from there into the bundle).

Key id: first 8 bytes of SHA-256 of the DER SubjectPublicKeyInfo, hex (the COSE ``kid`` and
the bundle's ``kid`` both use it).

The DEMO keys in demo/keys/ are published; the service refuses them by key id outside
``--demo`` (the ids are listed here, so the product needs nothing from the demo package).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.credentials.trust import key_id_of_public_key
from kiosk.core.key_files import declared_kind, header_line, kind_line
from kiosk.core.receipts.trust import DEVICE_HEADER

PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

MAX_KEY_FILE_BYTES = 64 * 1024
ALGORITHMS = ("ed25519", "p256")
# Key ids of every key in demo/keys/ (tests/backend/test_keys.py checks the list is complete).
DEMO_KEY_IDS = frozenset({
    "d05e81a298225716", "8041d8488615be15", "0a8900bbe3f37107", "0986c034b5c6a9bd", "f8855c2103239e2c",
})


@dataclass(frozen=True, slots=True)
class KeyKind:
    name: str
    algorithms: tuple[str, ...]
    purpose: str


KINDS: dict[str, KeyKind] = {
    "authority": KeyKind("authority", ("ed25519",), "signs the policy bundles kiosks download"),
    "issuer": KeyKind("issuer", ("ed25519", "p256"), "signs the credentials applicants present"),
    "receipt": KeyKind("receipt", ("ed25519", "p256"), "signs the receipts of online decisions"),
    "device": KeyKind("device", ("ed25519", "p256"), "signs one kiosk's offline decision receipts"),
}


class KeyFileError(Exception):
    """A key file cannot be used; the message names the file and what is wrong."""


def key_id(key: PublicKey) -> str:
    return key_id_of_public_key(key).hex()


def algorithm_of(key: PrivateKey | PublicKey) -> str | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "p256"
    return None


def generate(kind: KeyKind, alg: str) -> PrivateKey:
    if alg not in kind.algorithms:
        raise KeyFileError(f"{kind.name} keys are {' or '.join(kind.algorithms)}, not {alg}")
    if alg == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def write_key_pair(
    prefix: Path, kind: KeyKind, key: PrivateKey, *, device: str | None = None
) -> tuple[Path, Path]:
    """PREFIX-private.pem (0600) and PREFIX-public.pem; refuses to overwrite either."""
    private_path = prefix.with_name(prefix.name + "-private.pem")
    public_path = prefix.with_name(prefix.name + "-public.pem")
    return write_key_files(private_path, public_path, kind, key, device=device)


def write_key_files(
    private_path: Path, public_path: Path, kind: KeyKind, key: PrivateKey, *, device: str | None = None
) -> tuple[Path, Path]:
    """The private key (0600) and its public half; refuses to overwrite either. A device key
    names its device in a second header line."""
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyFileError(f"{path}: already exists; refusing to overwrite a key")
    label = kind_line(kind.name)
    if device is not None:
        label += header_line(DEVICE_HEADER, device)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, label + private_pem, 0o600)
    try:
        _write_new(public_path, label + public_pem, 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite a key") from None
    except OSError as error:
        raise KeyFileError(f"{path}: cannot be written ({error.strerror})") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, mode)  # the umask may have narrowed it; never widened past `mode`
    except OSError as error:
        path.unlink(missing_ok=True)
        raise KeyFileError(f"{path}: cannot be written ({error.strerror})") from None


def read_key_file(path: Path) -> bytes:
    """A key file's bytes, bounded; KeyFileError naming the file."""
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_KEY_FILE_BYTES)
    except FileReadError as error:
        raise KeyFileError(f"{path}: {error}") from None


def _check_kind(data: bytes, path: Path, kind: KeyKind, key: PrivateKey | PublicKey) -> None:
    declared = declared_kind(data)
    if declared is not None and declared != kind.name:
        raise KeyFileError(f"{path}: is marked as kind {declared!r}; kind {kind.name!r} is needed here")
    alg = algorithm_of(key)
    if alg not in kind.algorithms:
        raise KeyFileError(
            f"{path}: {kind.name} keys must be {' or '.join(kind.algorithms)}, this one is {alg or 'another type'}"
        )


def load_private_key(path: Path, kind: KeyKind, *, allow_demo: bool = False) -> PrivateKey:
    """A private key for `kind`; refuses a file every user may read, the wrong kind, and a
    DEMO key unless `allow_demo` (then a DEMO key's repository file mode is not judged)."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise KeyFileError(f"{path}: cannot be read ({error.strerror})") from None
    data = _read(path)
    if b"PRIVATE KEY-----" not in data:
        raise KeyFileError(f"{path}: holds no PEM private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(f"{path}: is encrypted; the service needs an unencrypted key") from None
    except ValueError:
        raise KeyFileError(f"{path}: is not a readable PEM private key") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyFileError(f"{path}: {kind.name} keys must be {' or '.join(kind.algorithms)}")
    _check_kind(data, path, kind, key)
    if key_id(key.public_key()) in DEMO_KEY_IDS:
        if allow_demo:
            return key
        raise KeyFileError(f"{path}: is a published DEMO key; make one with `kiosk-backend keys new`")
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise KeyFileError(
            f"{path}: is readable or writable by every user (mode {stat.S_IMODE(mode):04o}); chmod 600 it"
        )
    return key


def load_public_key(path: Path, kind: KeyKind, *, allow_demo: bool = False) -> PublicKey:
    """A public key for `kind` (a private key file gives its public half)."""
    data = _read(path)
    try:
        if b"PRIVATE KEY-----" in data:
            key: object = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (TypeError, ValueError):
        raise KeyFileError(f"{path}: is not a readable PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise KeyFileError(f"{path}: {kind.name} keys must be {' or '.join(kind.algorithms)}")
    _check_kind(data, path, kind, key)
    if not allow_demo and key_id(key) in DEMO_KEY_IDS:
        raise KeyFileError(f"{path}: is a published DEMO key; make one with `kiosk-backend keys new`")
    return key
