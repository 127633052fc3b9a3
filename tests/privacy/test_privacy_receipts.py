"""Privacy of receipts on screen and paper: sessions that print slips and tickets through the pty
printer simulator, and staff checks of those receipts against the applicant's code.

Searched for every canary in every form: the printed byte stream, the decoded receipts (what
staff see of them), the data folder, the temp folder and the logs.
"""

from __future__ import annotations

import json

import pytest

from kiosk.core.receipts import verify_receipt
from kiosk.session.flow_view import FlowState
from kiosk.session.printing import PrintResult
from tests.privacy.canaries import CARD_NAME, FACT_NOTE, OUTCOMES, RIC, USCC
from tests.privacy.harness import (
    BUSINESS_BENEFIT,
    PERSON_BENEFIT,
    Kiosk,
    canary_backend_settings,
    canary_card,
    canary_facts,
    mint,
    start_kiosk,
)
from tests.privacy.scene import PrivacyScene
from tests.support.backend import running_server

pytestmark = pytest.mark.slow


async def print_both(kiosk: Kiosk, locale: str = "zh-CN") -> None:
    view = kiosk.flow.view
    assert view.state is FlowState.RESULT and view.decision is not None and view.benefit is not None
    slips = kiosk.station.runtime.slips
    receipt = slips.print_receipt(view.decision, view.benefit.title.get(locale), locale)  # type: ignore[arg-type]
    assert receipt is not None and await receipt is PrintResult.PRINTED
    ticket = slips.print_ticket(view.decision, locale)  # type: ignore[arg-type]
    assert ticket is not None and await ticket is PrintResult.PRINTED


async def test_printed_slips_and_checked_receipts_hold_no_identifier_name_or_fact(
    backend_url: str, scene: PrivacyScene, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = await start_kiosk(backend_url, scene.data_dir, printer=True)
    desk = kiosk.station.runtime.receipts
    bundle = kiosk.station.sync.current
    assert desk is not None and bundle is not None
    trust = bundle.receipt_trust  # the service's receipt key, as the bundle publishes it
    receipts: list[str] = []
    checks: list[dict[str, object]] = []
    try:
        for outcome in OUTCOMES:
            view = await kiosk.scan(BUSINESS_BENEFIT, USCC[outcome], finish=False)
            assert view.decision is not None and view.decision.receipt is not None
            receipts.append(view.decision.receipt)
            await print_both(kiosk)
            kiosk.flow.finish()
            # Staff check it, and whose it is: the right code and another one.
            desk.receipt_scanned(view.decision.receipt)
            assert desk.subject_presented(USCC[outcome].encode()).check.subject_matches is True  # type: ignore[union-attr]
            desk.start_over()
            desk.receipt_scanned(view.decision.receipt)
            other = USCC[OUTCOMES[(OUTCOMES.index(outcome) + 1) % 3]]
            assert desk.subject_presented(other.encode()).check.subject_matches is False  # type: ignore[union-attr]
            checks.append(desk.view.check.to_json())  # type: ignore[union-attr]
            desk.start_over()
            assert not desk.holds_a_receipt
            # A person with an ID card: the masked name is on screen, never on the slip.
            kiosk.begin(PERSON_BENEFIT)
            await kiosk.card_taken_away()
            kiosk.reader.insert_card(canary_card(RIC[outcome]))
            view = await kiosk.wait_for((FlowState.RESULT, FlowState.ERROR))
            assert view.holder_name_masked and view.decision is not None and view.decision.receipt is not None
            receipts.append(view.decision.receipt)
            await print_both(kiosk)
            kiosk.flow.finish()
            kiosk.reader.remove_card()
            checks.append(verify_receipt(receipts[-1], trust, subject=f"ric:{RIC[outcome]}").to_json())
        # A signed credential whose facts carry a canary note: the slip lists statuses only,
        # so no fact can reach the paper.
        payload = mint(
            scene.canaries,
            "business",
            USCC["not_eligible"],
            canary_facts("business", "not_eligible"),
            label="receipts-credential",
        )
        view = await kiosk.scan(BUSINESS_BENEFIT, payload, finish=False)
        assert view.state is FlowState.RESULT
        await print_both(kiosk)
        kiosk.flow.finish()
    finally:
        await kiosk.aclose()
    assert kiosk.printer is not None
    printed = kiosk.printer.printed()
    assert printed.count(b"\x1d\x56\x42\x00") == 2 * 7  # every slip and ticket came out
    assert all(receipt.encode() in printed for receipt in receipts)
    assert CARD_NAME[0].encode("gb18030") + b"*" not in printed  # not even the masked name
    assert FACT_NOTE.encode("gb18030") not in printed
    assert all(check["valid"] for check in checks)
    scene.assert_clean(
        caplog,
        printed=printed,
        printed_text=printed.decode("gb18030", "replace"),
        receipts="\n".join(receipts),
        checks=json.dumps(checks, ensure_ascii=False),
        desk=repr(desk.view),
    )


async def test_offline_receipts_print_and_check_with_the_device_key_and_leave_no_trace(
    scene: PrivacyScene, caplog: pytest.LogCaptureFixture, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = scene.root / "more-data" / "offline-receipts"
    with running_server(canary_backend_settings(tmp_path_factory.mktemp("offline-receipts-backend"))) as url:
        kiosk = await start_kiosk(url, data, printer=True)
    # The backend is gone: signed credentials are decided, and their receipts signed, on the kiosk.
    desk = kiosk.station.runtime.receipts
    assert desk is not None
    checks: list[dict[str, object]] = []
    try:
        for outcome in OUTCOMES:
            payload = mint(
                scene.canaries,
                "business",
                USCC[outcome],
                canary_facts("business", outcome),
                label=f"receipt-offline-{outcome}",
            )
            view = await kiosk.scan(BUSINESS_BENEFIT, payload, finish=False)
            assert view.decision is not None and view.decision.mode.value == "offline"
            assert view.decision.receipt is not None
            await print_both(kiosk)
            kiosk.flow.finish()
            desk.receipt_scanned(view.decision.receipt)
            check = desk.subject_presented(USCC[outcome].encode()).check
            assert check is not None and check.signed_by == "device" and check.subject_matches is True
            checks.append(check.to_json())
            desk.start_over()
    finally:
        await kiosk.aclose()
    assert kiosk.printer is not None
    printed = kiosk.printer.printed()
    assert printed.count(b"\x1d\x56\x42\x00") == 2 * 3 and FACT_NOTE.encode("gb18030") not in printed
    scene.assert_clean(caplog, printed=printed, checks=json.dumps(checks, ensure_ascii=False))
