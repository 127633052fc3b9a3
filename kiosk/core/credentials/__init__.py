"""Scanned payloads -> who is presenting and what is verified about them.

Public names (everything else is an implementation room):

* :func:`read_presentation` — bytes or text from a scanner -> :class:`Presentation`, or
  :class:`CredentialError` whose ``step`` says where it failed and whose ``text`` a person reads.
* :class:`Scheme`, :class:`SubjectRef`, :class:`Presentation` — the result.
* :class:`CredentialSettings`, :class:`CredentialLimits`, :class:`TrustStore`,
  :func:`revocation_hash` — configuration (prefix, trust keys, revoked ids, limits).
* per-scheme modules with python-stdnum verbs: :mod:`.uscc`, :mod:`.ric`, :mod:`.token`
  (``compact`` / ``validate`` / ``is_valid``; no I/O, safe for the backend).
* :mod:`.issue` — :func:`~.issue.issue_credential` for the demo issuer and tests.
"""

from kiosk.core.credentials import ric, token, uscc
from kiosk.core.credentials.claims import XINYI_CLAIM
from kiosk.core.credentials.errors import STEP_TEXTS, STEPS, CredentialError, Step
from kiosk.core.credentials.model import JSON, Presentation, Scheme, SubjectKind, SubjectRef, mask
from kiosk.core.credentials.reader import read_presentation
from kiosk.core.credentials.settings import (
    DEFAULT_PREFIX,
    CredentialLimits,
    CredentialSettings,
    revocation_hash,
)
from kiosk.core.credentials.signed import LayerReport
from kiosk.core.credentials.trust import (
    TrustKeyError,
    TrustStore,
    key_id_of_certificate,
    key_id_of_public_key,
)

__all__ = [
    "DEFAULT_PREFIX",
    "JSON",
    "STEPS",
    "STEP_TEXTS",
    "XINYI_CLAIM",
    "CredentialError",
    "CredentialLimits",
    "CredentialSettings",
    "LayerReport",
    "Presentation",
    "Scheme",
    "Step",
    "SubjectKind",
    "SubjectRef",
    "TrustKeyError",
    "TrustStore",
    "key_id_of_certificate",
    "key_id_of_public_key",
    "mask",
    "read_presentation",
    "revocation_hash",
    "ric",
    "token",
    "uscc",
]
