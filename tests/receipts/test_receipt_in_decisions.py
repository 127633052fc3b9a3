"""The receipt as the API and the kiosk's client carry it: optional, bounded, an XKR: text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.core.decision_records import DecisionFormatError, decision_from_json
from kiosk.station.config import ConfigError, load_config
from tests.receipts.forge import Keys, decision


def _body(**changes: Any) -> dict[str, Any]:
    body = decision().to_json()
    body.update(changes)
    return body


def test_an_answer_with_without_or_with_a_null_receipt_is_read() -> None:
    receipt = Keys().online()
    assert decision_from_json(_body(receipt=receipt)).receipt == receipt
    assert decision_from_json(_body(receipt=None)).receipt is None
    older = _body()
    del older["receipt"]  # a backend from before receipts
    assert decision_from_json(older).receipt is None


@pytest.mark.parametrize("receipt", [42, "", "XK1:ABC", "XKR:" + "0" * 5000, ["XKR:0"]])
def test_a_receipt_that_is_not_one_is_refused(receipt: object) -> None:
    with pytest.raises(DecisionFormatError, match="receipt"):
        decision_from_json(_body(receipt=receipt))


def test_to_json_always_names_the_receipt() -> None:
    assert decision().to_json()["receipt"] is None


def test_a_kiosk_cannot_take_the_receipt_prefix_for_credentials(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('credential_prefix = "XKR"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="receipts' prefix"):
        load_config(config)


def test_a_device_key_for_another_device_is_refused_at_start(tmp_path: Path) -> None:
    from backend.keys import KINDS, generate, write_key_files
    from kiosk.station.device_key import device_receipts

    write_key_files(
        tmp_path / "key.pem",
        tmp_path / "key-public.pem",
        KINDS["device"],
        generate(KINDS["device"], "ed25519"),
        device="kiosk-0043",
    )
    config = tmp_path / "kiosk.toml"
    config.write_text('device_id = "kiosk-0042"\ndevice_key = "key.pem"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="names device 'kiosk-0043'"):
        device_receipts(load_config(config))
    config.write_text('device_id = "kiosk-0043"\ndevice_key = "key.pem"\n', encoding="utf-8")
    signer = device_receipts(load_config(config))
    assert signer is not None and signer.device == "kiosk-0043"
    (tmp_path / "key.pem").chmod(0o644)
    with pytest.raises(ConfigError, match="readable or writable by every user"):
        device_receipts(load_config(config))
