"""Who signs receipts, as the service is configured: the receipt key, the device registry, the
bundle that publishes both, and what is refused (a DEMO key outside the demo, a device key
naming no device or a device twice, one key in two roles)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from backend.cli import main as backend_main
from backend.commands.serve import demo_settings
from backend.db import SubjectStore
from backend.eligibility import EligibilityService, parse_request
from backend.receipts import load_receipt_issuer, receipt_signers
from backend.settings import BackendConfigError, load_settings
from demo.records import DEMO_DEVICE_ID, demo_subjects
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog, read_policy_document
from kiosk.core.bundle import BundleError, TrustKey, authority_key_id
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle
from kiosk.core.credentials.trust import TrustKeyError
from kiosk.core.receipts import ReceiptTrust, signer_for


def keys_new(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = backend_main(["keys", "new", *argv])
    out = capsys.readouterr()
    return code, out.out.strip() + out.err


def test_keys_new_makes_receipt_and_device_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = keys_new(capsys, "--kind", "receipt", "--alg", "p256", "--out", str(tmp_path / "receipt"))
    assert code == 0
    assert (tmp_path / "receipt-public.pem").read_bytes().startswith(b"Xinyi-Key-Kind: receipt\n")
    code, _ = keys_new(capsys, "--kind", "device", "--device", "kiosk-7", "--out", str(tmp_path / "kiosk-7"))
    assert code == 0
    assert b"Xinyi-Device: kiosk-7\n" in (tmp_path / "kiosk-7-public.pem").read_bytes()
    for argv in (
        ["--kind", "device", "--out", str(tmp_path / "nameless")],
        ["--kind", "receipt", "--device", "kiosk-7", "--out", str(tmp_path / "odd")],
    ):
        code, err = keys_new(capsys, *argv)
        assert code == 2 and "--device" in err and "Traceback" not in err
    trust = ReceiptTrust.from_pem((tmp_path / "kiosk-7-public.pem").read_bytes())
    assert [(s.signer, s.device) for s in trust.values()] == [("device", "kiosk-7")]


def test_the_config_names_the_receipt_key_and_the_device_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys_new(capsys, "--kind", "receipt", "--out", str(tmp_path / "receipt"))
    for device in ("kiosk-1", "kiosk-2"):
        keys_new(capsys, "--kind", "device", "--device", device, "--out", str(tmp_path / device))
    config = tmp_path / "backend.toml"
    config.write_text(
        'db = "x.sqlite3"\ndevice_tokens = "devices.json"\nreceipt_key = "receipt-private.pem"\n'
        'device_keys = ["kiosk-1-public.pem", "kiosk-2-public.pem"]\n',
        encoding="utf-8",
    )
    settings = load_settings(config, serving=False)
    assert settings.receipt_key == tmp_path / "receipt-private.pem"
    signers = receipt_signers(settings)
    assert sorted((s.signer, s.device or "") for s in signers.values()) == [
        ("backend", ""),
        ("device", "kiosk-1"),
        ("device", "kiosk-2"),
    ]
    assert load_receipt_issuer(settings) is not None
    # The same device twice, a device key without its device line, an issuer key as the receipt key.
    twice = replace(settings, device_keys=(tmp_path / "kiosk-1-public.pem",) * 2)
    with pytest.raises(BackendConfigError, match=r"device_keys.*already has a key"):
        receipt_signers(twice)
    (tmp_path / "bare.pem").write_bytes(
        (tmp_path / "kiosk-1-public.pem").read_bytes().replace(b"Xinyi-Device: kiosk-1\n", b"")
    )
    with pytest.raises(BackendConfigError, match="names no device"):
        receipt_signers(replace(settings, device_keys=(tmp_path / "bare.pem",)))
    keys_new(capsys, "--kind", "issuer", "--out", str(tmp_path / "issuer"))
    with pytest.raises(BackendConfigError, match=r"receipt_key.*kind 'issuer'"):
        receipt_signers(replace(settings, receipt_key=tmp_path / "issuer-private.pem"))


def test_demo_receipt_keys_only_in_the_demo(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "demo.sqlite3")
    assert load_receipt_issuer(settings) is not None
    production = replace(settings, allow_demo_keys=False)
    with pytest.raises(BackendConfigError, match="DEMO key"):
        load_receipt_issuer(production)
    with pytest.raises(BackendConfigError, match="DEMO key"):
        receipt_signers(replace(production, receipt_key=None))


def test_without_a_receipt_key_answers_carry_null(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "demo.sqlite3")
    catalog = load_catalog()
    subject = next(s for s in demo_subjects(catalog) if s.scheme == "uscc" and s.on_record)
    benefit = sorted(subject.expected)[0]
    body = json.dumps(
        {
            "benefit": benefit,
            "subject": {"scheme": "uscc", "value": subject.value},
            "locale": "en",
            "device": DEMO_DEVICE_ID,
        }
    ).encode()
    service = EligibilityService(catalog, SubjectStore(settings.db_path))
    answer = json.loads(service.answer_body(parse_request(body)))
    assert answer["receipt"] is None and service.answer(parse_request(body)).receipt is None


def _bundle(receipt_keys: ReceiptTrust, trust_keys: list[TrustKey]) -> tuple[bytes, ed25519.Ed25519PrivateKey]:
    authority = ed25519.Ed25519PrivateKey.generate()
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    payload = build_payload(
        document,
        version=1,
        issued_at=datetime.now(UTC),
        valid_for=timedelta(days=1),
        trust_keys=trust_keys,
        revoked=[],
        receipt_keys=receipt_keys,
    )
    return sign_bundle(payload, authority), authority


def test_the_bundle_carries_receipt_keys_apart_from_issuers() -> None:
    receipt, device = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    signers = ReceiptTrust(
        [signer_for(receipt.public_key(), "backend"), signer_for(device.public_key(), "device", "kiosk-9")]
    )
    raw, authority = _bundle(signers, [])
    bundle = verify_bundle(raw, {authority_key_id(authority.public_key()): authority.public_key()})
    assert bundle.receipt_trust.to_json() == signers.to_json()
    assert not bundle.trust_store()  # no receipt signer is a credential issuer
    # One key as both a credential issuer and a receipt signer is refused when signing.
    issuer = TrustKey(next(iter(signers)), "Ed25519", signers[next(iter(signers))].key)
    with pytest.raises(BundleError, match="both a credential issuer and a receipt signer"):
        _bundle(signers, [issuer])


@pytest.mark.parametrize(
    "entry",
    [
        {"kid": "00", "alg": "Ed25519", "public_key": "AAAA", "signer": "backend"},
        {"kid": "00", "alg": "Ed25519", "public_key": "AAAA", "signer": "root"},
        "not an object",
    ],
)
def test_malformed_receipt_keys_are_refused(entry: object) -> None:
    with pytest.raises(TrustKeyError):
        ReceiptTrust.from_json([entry])


def test_a_device_entry_must_name_its_device() -> None:
    device = ed25519.Ed25519PrivateKey.generate()
    entry = signer_for(device.public_key(), "device", "kiosk-9").to_json()
    del entry["device"]
    with pytest.raises(TrustKeyError, match="exactly"):
        ReceiptTrust.from_json([entry])


def test_bundle_sign_publishes_receipt_signers_and_refuses_other_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = Path(__file__).resolve().parents[2] / "demo" / "keys"
    common = [
        "bundle",
        "sign",
        "--policy",
        str(DEFAULT_POLICY_DIR),
        "--key",
        str(keys / "authority-ed25519-DEMO-private.pem"),
    ]
    signers = [
        "--receipt-signer",
        str(keys / "receipt-ed25519-DEMO-public.pem"),
        "--receipt-signer",
        str(keys / "device-ed25519-DEMO-public.pem"),
    ]
    assert backend_main([*common, *signers, "--out", str(tmp_path / "bundle.json")]) == 0
    assert "2 receipt signer(s)" in capsys.readouterr().out
    assert (
        backend_main(
            [
                "bundle",
                "verify",
                str(tmp_path / "bundle.json"),
                "--authority",
                str(keys / "authority-ed25519-DEMO-public.pem"),
            ]
        )
        == 0
    )
    shown = capsys.readouterr().out
    assert "receipt signer backend 0986c034b5c6a9bd" in shown and "receipt signer device kiosk-demo" in shown
    wrong = ["--receipt-signer", str(keys / "issuer-ed25519-DEMO-public.pem")]
    assert backend_main([*common, *wrong, "--out", str(tmp_path / "other.json")]) == 3
    assert "Xinyi-Key-Kind: receipt or device" in capsys.readouterr().err
    assert not (tmp_path / "other.json").exists()


def test_a_retired_receipt_key_still_verifies_what_it_signed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.core.receipts import verify_receipt

    for name in ("receipt-2026", "receipt-2027"):
        keys_new(capsys, "--kind", "receipt", "--out", str(tmp_path / name))
    keys_new(capsys, "--kind", "device", "--device", "kiosk-1", "--out", str(tmp_path / "kiosk-1"))
    demo = demo_settings(tmp_path / "demo.sqlite3")
    before = replace(demo, allow_demo_keys=False, receipt_key=tmp_path / "receipt-2026-private.pem")
    config = tmp_path / "backend.toml"
    config.write_text(
        'db = "x.sqlite3"\ndevice_tokens = "devices.json"\nreceipt_key = "receipt-2027-private.pem"\n'
        'receipt_retired_keys = ["receipt-2026-public.pem"]\n',
        encoding="utf-8",
    )
    after = load_settings(config, serving=False)
    catalog = load_catalog()
    subject = next(s for s in demo_subjects(catalog) if s.scheme == "uscc" and s.on_record)
    request = parse_request(json.dumps({
        "benefit": sorted(subject.expected)[0], "subject": {"scheme": "uscc", "value": subject.value},
        "locale": "en", "device": DEMO_DEVICE_ID,
    }).encode())
    store = SubjectStore(demo.required("db_path"))
    signed_before = EligibilityService(catalog, store, receipts=load_receipt_issuer(before)).answer(request).receipt
    signed_after = EligibilityService(catalog, store, receipts=load_receipt_issuer(after)).answer(request).receipt
    assert signed_before is not None and signed_after is not None
    published = receipt_signers(after)
    assert [s.signer for s in published.values()] == ["backend", "backend"]
    assert verify_receipt(signed_before, published).valid and verify_receipt(signed_after, published).valid
    # Without the retired key listed, yesterday's slips stop verifying: that is what the list is for.
    assert verify_receipt(signed_before, receipt_signers(replace(after, receipt_retired_keys=()))).failed_step == (
        "unknown_key"
    )
    # Only receipt keys retire into the list; a device key there is refused, naming the setting.
    wrong = replace(after, receipt_retired_keys=(tmp_path / "kiosk-1-public.pem",))
    with pytest.raises(BackendConfigError, match=r"receipt_retired_keys.*kind 'device'"):
        receipt_signers(wrong)
