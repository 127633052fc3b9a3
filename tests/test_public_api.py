"""The faces of the core, the credential reader and the drivers, pinned as httpx pins its API:
adding or removing a public name is a decision, made here on purpose."""

from __future__ import annotations

import importlib

import pytest

import hardware
import kiosk.core
import kiosk.core.credentials
import kiosk.core.receipts

CORE = [
    "Benefit", "BundleError", "Catalog", "CatalogError", "Criterion", "CriterionResult", "DEFAULT_LOCALE",
    "Decision", "DecisionFormatError", "KioskError", "LOCALES", "LocalText", "Locale", "Mode",
    "OfflineUnavailable", "Outcome", "PolicyBundle", "RuleError", "Status", "compile_expression", "decide",
    "decide_offline", "decision_from_json", "evaluate", "message", "parse_catalog", "parse_locale",
    "sign_bundle", "translate", "verify_bundle",
]
CREDENTIALS = [
    "DEFAULT_PREFIX", "JSON", "STEPS", "STEP_TEXTS", "XINYI_CLAIM", "CredentialError", "CredentialLimits",
    "CredentialSettings", "LayerReport", "Presentation", "Scheme", "Step", "SubjectKind", "SubjectRef",
    "TrustKeyError", "TrustStore", "key_id_of_certificate", "key_id_of_public_key", "mask",
    "read_presentation", "revocation_hash", "ric", "token", "uscc",
]
RECEIPTS = [
    "KIND_ROLES", "RECEIPT_CLAIM", "RECEIPT_LIMITS", "RECEIPT_PREFIX", "RECEIPT_STEPS", "RECEIPT_STEP_TEXTS",
    "SIGNER_MODES", "ReceiptCheck", "ReceiptClaims", "ReceiptSigner", "ReceiptStep", "ReceiptTrust", "Signer",
    "SubjectReferenceError", "issue_receipt", "signer_for", "subject_reference", "verify_receipt",
]
HARDWARE = [
    "CardEvent", "DecisionSlip", "Device", "HelpSlip", "DeviceError", "DeviceEvent", "DeviceStatus", "IdCardReader",
    "ScanEvent", "SerialScanner", "SlipCriterion", "SlipPrinter", "StatusEvent",
]


@pytest.mark.parametrize(
    ("module", "names"),
    [(kiosk.core, CORE), (kiosk.core.credentials, CREDENTIALS), (kiosk.core.receipts, RECEIPTS), (hardware, HARDWARE)],
    ids=["kiosk.core", "kiosk.core.credentials", "kiosk.core.receipts", "hardware"],
)
def test_public_names_are_pinned_and_all_resolve(module: object, names: list[str]) -> None:
    assert sorted(module.__all__) == sorted(names)  # type: ignore[attr-defined]
    for name in names:
        assert getattr(module, name) is not None, name
    if module is kiosk.core or module is kiosk.core.receipts:
        assert sorted(module._MODULE_OF) == sorted(names)  # every face name has a home


def test_the_core_face_loads_lazily() -> None:
    # An error type must not pull in the verifier and the rule compiler (the drivers import it).
    code = "import sys, kiosk.core; kiosk.core.KioskError; print('kiosk.core.rules' in sys.modules)"
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        importlib.import_module("kiosk.core").no_such_name  # noqa: B018


def test_one_scheme_registry_names_every_scheme_once() -> None:
    from kiosk.core.credentials.model import Scheme
    from kiosk.core.credentials.schemes import LOOKUP_SCHEMES, SCHEME_NAMES, SCHEMES_BY_KIND

    assert sorted(SCHEME_NAMES) == sorted(s.value for s in Scheme)
    assert set(LOOKUP_SCHEMES) == set(SCHEME_NAMES) - {"credential"}
    assert SCHEMES_BY_KIND["business"] >= {"uscc", "token", "credential"} and "ric" not in SCHEMES_BY_KIND["business"]
