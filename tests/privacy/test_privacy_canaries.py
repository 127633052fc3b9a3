"""Privacy canaries: whole sessions through the real kiosk, then a search for every canary.

Each test runs sessions with canary businesses, people, tokens, cards and signed credentials
through the real station (flow, online/offline checker, TinyDB store, bundle sync, runtime,
scanner and card-reader drivers on real ptys, the backend on loopback), then searches the data
folder, the temp folder, the log file and the raw log records for every canary in every form
(tests.privacy.canaries.forms). One hit fails the test.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from demo.issuer import DEMO_ISSUER_NAME
from kiosk.adapters.store_schema import DEVICE_KEYS
from kiosk.core.credentials import key_id_of_public_key
from kiosk.core.credentials.issue import issue_credential
from kiosk.core.decision_records import Mode
from kiosk.session.flow import Timeouts
from kiosk.session.flow_view import EndReason, ErrorCategory, FlowState
from tests.privacy.canaries import (
    BAD_CHECK_USCC,
    BUSINESS_TOKEN,
    CARD_NAME,
    CREDENTIAL_ID,
    GARBAGE_SCAN,
    OUTCOMES,
    PERSON_TOKEN,
    RIC,
    TALLY,
    UNRECORDED_USCC,
    USCC,
)
from tests.privacy.harness import (
    BUSINESS_BENEFIT,
    PERSON_BENEFIT,
    STAFF_PIN,
    canary_backend_settings,
    canary_card,
    canary_facts,
    dead_url,
    mint,
    stalling_server,
    start_kiosk,
)
from tests.privacy.scene import PrivacyScene
from tests.receipts.decoded import claims_of
from tests.receipts.forge import cose_of
from tests.support.backend import running_server

pytestmark = pytest.mark.slow



def outcome_of(view: object) -> str | None:
    decision = getattr(view, "decision", None)
    if decision is not None and decision.receipt is not None:
        RECEIPTS.append(decision.receipt)
    return decision.outcome.value if decision is not None else None


# Every receipt the sessions were given, taken apart below: the decoded receipt holds no canary.
RECEIPTS: list[str] = []


def decoded_receipts() -> bytes:
    """Each receipt's COSE bytes and its decoded claims, as the search reads them."""
    blobs = []
    for receipt in RECEIPTS:
        blobs.append(cose_of(receipt))
        blobs.append(repr(claims_of(receipt)).encode("utf-8"))
    RECEIPTS.clear()
    return b"\n".join(blobs)


async def test_online_sessions_for_every_scheme_and_outcome_leave_no_trace(
    backend_url: str, scene: PrivacyScene, caplog: pytest.LogCaptureFixture
) -> None:
    RECEIPTS.clear()
    kiosk = await start_kiosk(backend_url, scene.data_dir)
    try:
        for outcome in OUTCOMES:
            view = await kiosk.scan(BUSINESS_BENEFIT, USCC[outcome])
            assert outcome_of(view) == outcome and view.decision.mode is Mode.ONLINE
            view = await kiosk.card(PERSON_BENEFIT, canary_card(RIC[outcome]))
            assert outcome_of(view) == outcome
            assert view.holder_name_masked == CARD_NAME[0] + "*" * (len(CARD_NAME) - 1)
            assert outcome_of(await kiosk.scan(BUSINESS_BENEFIT, BUSINESS_TOKEN[outcome])) == outcome
            assert outcome_of(await kiosk.scan(PERSON_BENEFIT, PERSON_TOKEN[outcome])) == outcome
            # Online, a signed credential is decided by the backend from the inner subject.
            business = mint(scene.canaries, "business", USCC[outcome], canary_facts("business", outcome),
                            label=f"business-online-{outcome}")
            assert outcome_of(await kiosk.scan(BUSINESS_BENEFIT, business)) == outcome
            person = mint(scene.canaries, "person", RIC[outcome], canary_facts("person", outcome),
                          label=f"person-online-{outcome}")
            assert outcome_of(await kiosk.scan(PERSON_BENEFIT, person)) == outcome
        assert outcome_of(await kiosk.scan(BUSINESS_BENEFIT, UNRECORDED_USCC)) == "undetermined"
    finally:
        await kiosk.aclose()
    assert len(RECEIPTS) == 6 * len(OUTCOMES) + 1, "every online answer carries the service's receipt"
    scene.assert_clean(caplog, decoded_receipts=decoded_receipts())


async def test_refused_codes_and_misread_cards_leave_no_trace(
    backend_url: str, scene: PrivacyScene, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = await start_kiosk(backend_url, scene.data_dir)
    forger = ed25519.Ed25519PrivateKey.generate()
    old = datetime.now(UTC) - timedelta(days=90)
    facts = canary_facts("business", "eligible")
    expired = mint(scene.canaries, "business", USCC["eligible"], facts, label="expired",
                   issued_at=old, valid_for=timedelta(days=30))
    forged = scene.canaries.add("credential-forged", issue_credential(
        issuer=DEMO_ISSUER_NAME, kind="business", subject_value=USCC["eligible"], facts=facts,
        signing_key=forger, kid=key_id_of_public_key(forger.public_key()), credential_id=CREDENTIAL_ID,
    ))
    expected = [
        (BUSINESS_BENEFIT, BAD_CHECK_USCC, ErrorCategory.UNREADABLE),
        (BUSINESS_BENEFIT, GARBAGE_SCAN, ErrorCategory.UNREADABLE),
        (PERSON_BENEFIT, USCC["eligible"], ErrorCategory.WRONG_KIND),
        (BUSINESS_BENEFIT, expired, ErrorCategory.EXPIRED),
        (BUSINESS_BENEFIT, forged, ErrorCategory.UNVERIFIABLE),
    ]
    try:
        for benefit, payload, category in expected:
            view = await kiosk.scan(benefit, payload)
            assert view.state is FlowState.ERROR and view.error_category is category
        view = await kiosk.card(BUSINESS_BENEFIT, canary_card(RIC["eligible"]))
        assert view.error_category is ErrorCategory.WRONG_KIND
        # A person's token for a business benefit: the backend refuses, revealing nothing.
        view = await kiosk.scan(BUSINESS_BENEFIT, PERSON_TOKEN["eligible"])
        assert view.state in (FlowState.ERROR, FlowState.RESULT)
        # The reply carrying the canary card's text arrives damaged: a device problem.
        kiosk.reader.inject_fault("checksum", on=(0x30, 0x01))
        view = await kiosk.card(PERSON_BENEFIT, canary_card(RIC["not_eligible"]))
        assert view.error_category is ErrorCategory.DEVICE
        assert not kiosk.reader.fingerprint_requested
    finally:
        await kiosk.aclose()
    scene.assert_clean(caplog)


async def test_timeouts_cancels_and_unplugged_devices_leave_no_trace(
    scene: PrivacyScene, caplog: pytest.LogCaptureFixture
) -> None:
    short = Timeouts(present=2.0, checking=3.0)  # the backend gets 2 s of it (services.check_deadline)
    with stalling_server() as hung:
        kiosk = await start_kiosk(hung, scene.data_dir, timeouts=short, sync_first=False)
        flow = kiosk.flow
        try:
            # The backend never answers: the check's deadline passes with the canary in flight,
            # and the check finishes offline (a "can't tell" from the cached bundle, or, with
            # none, "unavailable") instead of hanging (issue #18 item 5).
            view = await kiosk.scan(BUSINESS_BENEFIT, USCC["eligible"])
            if view.state is FlowState.RESULT:
                assert view.decision is not None and view.decision.mode is Mode.OFFLINE
            else:
                assert view.error_category is ErrorCategory.UNAVAILABLE
            # The person walks away while the check runs.
            kiosk.begin(PERSON_BENEFIT)
            await kiosk.card_taken_away()
            kiosk.reader.insert_card(canary_card(RIC["eligible"]))
            await kiosk.wait_for((FlowState.CHECKING,))
            flow.cancel()
            assert flow.view.last_end is EndReason.CANCELLED and not flow.holds_personal_data
            kiosk.reader.remove_card()
            # Nobody presents anything.
            kiosk.begin(BUSINESS_BENEFIT)
            await kiosk.wait_for((FlowState.IDLE,))
            assert flow.view.last_end is EndReason.TIMEOUT
            # The scanner is pulled out mid-check, then the card reader.
            kiosk.begin(BUSINESS_BENEFIT)
            kiosk.scanner.present(BUSINESS_TOKEN["eligible"].encode())
            await kiosk.wait_for((FlowState.CHECKING,))
            kiosk.scanner.unplug()
            await kiosk.wait_for((FlowState.IDLE,))
            assert flow.view.last_end is EndReason.DEVICE_LOST and not flow.holds_personal_data
            kiosk.begin(PERSON_BENEFIT)
            await kiosk.card_taken_away()
            kiosk.reader.insert_card(canary_card(RIC["not_eligible"]))
            await kiosk.wait_for((FlowState.CHECKING,))
            kiosk.reader.unplug()
            await kiosk.wait_for((FlowState.IDLE,))
            assert flow.view.last_end is EndReason.DEVICE_LOST and not flow.holds_personal_data
        finally:
            await kiosk.aclose()
    scene.assert_clean(caplog)


async def test_offline_decisions_leave_no_trace(
    scene: PrivacyScene, caplog: pytest.LogCaptureFixture, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = scene.root / "more-data" / "offline"
    RECEIPTS.clear()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(running_server(canary_backend_settings(tmp_path_factory.mktemp("offline-backend"))))
        kiosk = await start_kiosk(url, data, timeouts=Timeouts(result=0.5))
        assert kiosk.station.sync is not None and kiosk.station.sync.current is not None
    # The backend is gone now; only signed credentials can be decided.
    try:
        for kind, benefit, subject in (("business", BUSINESS_BENEFIT, USCC), ("person", PERSON_BENEFIT, RIC)):
            for outcome in OUTCOMES:
                payload = mint(scene.canaries, kind, subject[outcome], canary_facts(kind, outcome),
                               label=f"{kind}-offline-{outcome}")
                view = await kiosk.scan(benefit, payload, finish=False)
                assert outcome_of(view) == outcome and view.decision.mode is Mode.OFFLINE
                assert view.decision.receipt is not None, "the kiosk signs its offline decisions"
                # Nobody touches the result: it goes back to idle by itself.
                await kiosk.wait_for((FlowState.IDLE,))
                assert kiosk.flow.view.last_end is EndReason.DONE and not kiosk.flow.holds_personal_data
        for benefit, payload in ((BUSINESS_BENEFIT, USCC["eligible"]), (PERSON_BENEFIT, PERSON_TOKEN["eligible"])):
            view = await kiosk.scan(benefit, payload)
            assert view.state is FlowState.ERROR or outcome_of(view) == "undetermined"
        view = await kiosk.card(PERSON_BENEFIT, canary_card(RIC["eligible"]))
        assert view.state is FlowState.ERROR or outcome_of(view) == "undetermined"
    finally:
        await kiosk.aclose()
    assert RECEIPTS, "offline answers carry the kiosk's receipts"
    scene.assert_clean(caplog, decoded_receipts=decoded_receipts())


async def test_staff_mode_shows_health_and_counts_never_a_person(
    backend_url: str, scene: PrivacyScene, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = await start_kiosk(backend_url, scene.data_dir)
    runtime = kiosk.station.runtime
    try:
        await kiosk.scan(BUSINESS_BENEFIT, USCC["not_eligible"])
        await kiosk.card(PERSON_BENEFIT, canary_card(RIC["eligible"]))
        assert not runtime.staff_pin.check("000000")
        assert runtime.staff_pin.check(STAFF_PIN)
        health = await runtime.health()
        assert health.backend_reachable is True
        assert health.counters[(BUSINESS_BENEFIT, "not_eligible")] >= 1
        assert health.counters[(PERSON_BENEFIT, "eligible")] >= 1
        shown = repr(health) + json.dumps({f"{b}/{o}": n for (b, o), n in health.counters.items()})
    finally:
        await kiosk.aclose()
    scene.assert_clean(caplog, staff_health=shown, staff_view=repr(kiosk.flow.view))


def test_the_data_folder_holds_only_the_bundle_device_state_and_counters(scene: PrivacyScene) -> None:
    names = sorted(path.name for path in scene.data_dir.iterdir())
    assert {"bundle.json", "state.json"} <= set(names)
    for name in names:
        assert re.fullmatch(r"bundle\.json|state\.json|heartbeat\.json|\.store\.lock|bundle-[0-9a-f]{64}\.signed",
                            name), name
    state = json.loads((scene.data_dir / "state.json").read_text(encoding="utf-8"))
    assert set(state) <= {"device", "counters"}
    for row in state.get("device", {}).values():
        assert set(row) == {"key", "value"} and row["key"] in DEVICE_KEYS, row
    assert state["counters"], "sessions were counted"
    for row in state["counters"].values():
        assert set(row) == {"benefit", "outcome", "day", "count"}, row
        assert row["outcome"] in OUTCOMES and isinstance(row["count"], int)
    # The heartbeat's ledger (kiosk/adapters/heartbeat_ledger.py): ids, outcomes, days, counts.
    ledger = json.loads((scene.data_dir / "heartbeat.json").read_text(encoding="utf-8"))
    assert set(ledger) == {"pending", "sealed", "clock_skew_seconds", "last_frame_at"}
    waiting = [*ledger["pending"]["outcomes"], *(ledger["sealed"]["outcomes"] if ledger["sealed"] else [])]
    assert waiting, "sessions were counted for the heartbeat (this backend has no fleet: they wait)"
    for table in (ledger["pending"], *([ledger["sealed"]] if ledger["sealed"] else [])):
        for row in [*table["outcomes"], *table["criteria"]]:
            assert len(row) == 4 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[0]) and isinstance(row[3], int), row
    bundle = json.loads((scene.data_dir / "bundle.json").read_text(encoding="utf-8"))
    for row in bundle["bundle"].values():
        assert set(row) <= {"file", "size", "etag", "version", "digest", "saved_at"}, row
    scene.assert_clean()
    print(f"\nprivacy canaries: {TALLY}")


def test_the_search_finds_a_planted_canary_in_every_form(scene: PrivacyScene) -> None:
    """The search itself works: each form of a canary, planted in a file, is found."""
    from tests.privacy.canaries import CanarySet, forms, search

    planted = scene.root / "planted"
    planted.mkdir(exist_ok=True)
    canaries = CanarySet({"name": CARD_NAME, "id": RIC["eligible"]})
    for label, value in canaries.items():
        for name, shape in forms(value).items():
            (planted / f"{label}-{name}.bin").write_bytes(b"\x00prefix" + shape + b"suffix\x00")
    hits = search(canaries, files=sorted(planted.iterdir()))
    found = {(hit.canary, hit.form) for hit in hits}
    expected = {(label, name) for label, value in canaries.items() for name in forms(value)}
    assert expected <= found
    # A canary inside a longer base64 blob is found at every alignment.
    import base64

    for pad in range(3):
        blob = base64.b64encode(b"x" * pad + CARD_NAME.encode() + b"tail")
        assert search(canaries, texts={"blob": blob}), pad
    assert not search(canaries, texts={"dead": dead_url()})
