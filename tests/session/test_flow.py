"""Every path through the session flow, with the real catalog, reader and decide()."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import tests.support.flow as fs
from kiosk.core.decision_records import Mode, Outcome
from kiosk.session.flow import SessionFlow, Timeouts
from kiosk.session.flow_view import EndReason, ErrorCategory, FlowState

BENEFIT = "expedited-permit"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def valid_uscc(base17: str) -> str:
    from stdnum.cn import uscc

    return base17 + uscc.calc_check_digit(base17)


OTHER_USCC = valid_uscc("91350100M000200Y4")
UNKNOWN_USCC = valid_uscc("91350100M000300Y4")


def make_flow(
    checker: fs.FactsChecker | None = None, clock: Clock | None = None
) -> tuple[SessionFlow, fs.FactsChecker]:
    checker = checker or fs.FactsChecker(
        {fs.ELIGIBLE_USCC: fs.FACTS_ELIGIBLE, OTHER_USCC: fs.FACTS_NOT_ELIGIBLE, UNKNOWN_USCC: fs.FACTS_UNDETERMINED}
    )
    flow = SessionFlow(fs.catalog(), fs.reader, checker, clock=clock or Clock(), timeouts=Timeouts())
    return flow, checker


def to_present(flow: SessionFlow) -> None:
    flow.start()
    flow.choose_benefit(BENEFIT)
    flow.ready_to_present()
    assert flow.view.state is FlowState.PRESENT


@pytest.mark.parametrize(
    ("code", "outcome"),
    [(fs.ELIGIBLE_USCC, Outcome.ELIGIBLE), (OTHER_USCC, Outcome.NOT_ELIGIBLE), (UNKNOWN_USCC, Outcome.UNDETERMINED)],
)
async def test_a_whole_session_ends_with_the_decision_then_nothing_left(code: str, outcome: Outcome) -> None:
    flow, checker = make_flow()
    seen: list[FlowState] = []
    flow.subscribe(lambda view: seen.append(view.state))
    to_present(flow)
    task = flow.present(code)
    assert flow.view.state is FlowState.CHECKING and flow.holds_personal_data
    assert task is not None
    await task
    view = flow.view
    assert view.state is FlowState.RESULT and view.decision is not None
    assert view.decision.outcome is outcome
    assert len(view.decision.criteria) == 5
    assert checker.calls == [(BENEFIT, "uscc", "zh-CN")]
    flow.finish()
    assert flow.view.state is FlowState.IDLE and flow.view.last_end is EndReason.DONE
    assert not flow.holds_personal_data
    assert seen[:6] == [FlowState.IDLE, FlowState.CHOOSE_BENEFIT, FlowState.CRITERIA, FlowState.PRESENT,
                        FlowState.CHECKING, FlowState.RESULT]


async def test_a_signed_credential_is_decided_and_marked_offline_by_its_checker() -> None:
    flow, _ = make_flow()
    to_present(flow)
    task = flow.present(fs.mint(fs.FACTS_ELIGIBLE))
    assert task is not None
    await task
    assert flow.view.decision is not None and flow.view.decision.mode is Mode.OFFLINE


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("not a code at all", ErrorCategory.UNREADABLE),
        ("XK1:!!!!", ErrorCategory.UNREADABLE),
        (fs.ELIGIBLE_USCC[:-1] + ("0" if fs.ELIGIBLE_USCC[-1] != "0" else "1"), ErrorCategory.UNREADABLE),
        (fs.PERSON_RIC, ErrorCategory.WRONG_KIND),
    ],
)
def test_bad_codes_give_a_message_and_a_way_back(code: str, category: ErrorCategory) -> None:
    flow, checker = make_flow()
    to_present(flow)
    assert flow.present(code) is None
    view = flow.view
    assert view.state is FlowState.ERROR and view.error_category is category
    assert view.error is not None and view.error.zh and view.error.en
    assert not flow.holds_personal_data and not checker.calls
    flow.retry()
    assert flow.view.state is FlowState.PRESENT and flow.view.error is None


def test_an_expired_credential_says_expired() -> None:
    flow, _ = make_flow()
    to_present(flow)
    old = datetime.now(UTC) - timedelta(days=60)
    flow.present(fs.mint(fs.FACTS_ELIGIBLE, issued_at=old, valid_for=timedelta(days=30)))
    assert flow.view.error_category is ErrorCategory.EXPIRED
    assert "过期" in (flow.view.error.zh if flow.view.error else "")


async def test_a_backend_failure_is_a_message_not_a_crash() -> None:
    flow, checker = make_flow()
    checker.fail_with = fs.BackendDown()
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC)
    assert task is not None
    await task
    assert flow.view.state is FlowState.ERROR and flow.view.error_category is ErrorCategory.UNAVAILABLE
    flow.finish()
    assert flow.view.last_end is EndReason.ERROR and not flow.holds_personal_data


async def test_a_bug_below_still_leaves_the_person_a_way_out() -> None:
    flow, checker = make_flow()
    checker.fail_with = RuntimeError("bug")
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC)
    assert task is not None
    with pytest.raises(RuntimeError):
        await task
    assert flow.view.state is FlowState.ERROR and flow.view.error_kind == "internal"


@pytest.mark.parametrize(
    ("state", "limit"),
    [(FlowState.CHOOSE_BENEFIT, 90.0), (FlowState.CRITERIA, 180.0), (FlowState.PRESENT, 60.0)],
)
def test_each_waiting_step_times_out_to_idle(state: FlowState, limit: float) -> None:
    clock = Clock()
    flow, _ = make_flow(clock=clock)
    flow.start()
    if state is not FlowState.CHOOSE_BENEFIT:
        flow.choose_benefit(BENEFIT)
    if state is FlowState.PRESENT:
        flow.ready_to_present()
    assert flow.view.state is state and flow.view.seconds_left == limit
    clock.now += limit - 0.5
    flow.tick()
    assert flow.view.state is state and flow.view.seconds_left == 1.0
    clock.now += 1.0
    flow.tick()
    assert flow.view.state is FlowState.IDLE and flow.view.last_end is EndReason.TIMEOUT
    assert flow.view.benefit is None


def test_a_touch_gives_the_full_time_again() -> None:
    clock = Clock()
    flow, _ = make_flow(clock=clock)
    to_present(flow)
    clock.now += 50
    flow.tick()
    assert flow.view.seconds_left == 10.0
    flow.touch()
    assert flow.view.seconds_left == 60.0
    clock.now += 50
    flow.tick()
    assert flow.view.state is FlowState.PRESENT


async def test_a_check_that_takes_too_long_is_stopped_and_says_so() -> None:
    clock = Clock()
    flow, checker = make_flow(clock=clock)
    checker.delay = 30
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC)
    await asyncio.sleep(0)
    flow.touch()  # touching does not extend a running check
    clock.now += 21
    flow.tick()
    assert flow.view.state is FlowState.ERROR and flow.view.error_category is ErrorCategory.TIMEOUT
    assert task is not None
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not flow.holds_personal_data


async def test_the_result_countdown_clears_the_result() -> None:
    clock = Clock()
    flow, _ = make_flow(clock=clock)
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC)
    assert task is not None
    await task
    clock.now += Timeouts().result + 1
    flow.tick()
    assert flow.view.state is FlowState.IDLE and flow.view.last_end is EndReason.DONE
    assert not flow.holds_personal_data


async def test_cancel_while_checking_drops_the_check_and_its_answer() -> None:
    flow, checker = make_flow()
    checker.delay = 0.05
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC, holder_name_masked="张*")
    assert flow.view.holder_name_masked == "张*"
    flow.cancel()
    assert flow.view.state is FlowState.IDLE and flow.view.last_end is EndReason.CANCELLED
    assert not flow.holds_personal_data
    assert task is not None
    with pytest.raises(asyncio.CancelledError):
        await task
    assert flow.view.decision is None


async def test_an_unplugged_device_ends_the_session() -> None:
    flow, checker = make_flow()
    checker.delay = 0.05
    to_present(flow)
    flow.present(fs.ELIGIBLE_USCC)
    flow.device_lost()
    assert flow.view.last_end is EndReason.DEVICE_LOST and not flow.holds_personal_data
    await asyncio.sleep(0.06)
    assert flow.view.state is FlowState.IDLE


def test_device_trouble_while_presenting_is_shown_as_a_device_error() -> None:
    from hardware.errors import CardReadFailed

    flow, _ = make_flow()
    to_present(flow)
    flow.device_problem(CardReadFailed("card read failed"))
    assert flow.view.error_category is ErrorCategory.DEVICE
    assert flow.view.error == CardReadFailed.TEXT
    flow.retry()
    flow.no_device_available()
    assert flow.view.state is FlowState.ERROR and flow.view.error_kind == "no_device"


def test_scans_outside_the_present_step_are_dropped() -> None:
    flow, checker = make_flow()
    assert flow.present(fs.ELIGIBLE_USCC) is None
    flow.start()
    assert flow.present(fs.ELIGIBLE_USCC) is None
    flow.choose_benefit(BENEFIT)
    assert flow.present(fs.ELIGIBLE_USCC) is None
    assert flow.view.state is FlowState.CRITERIA and not checker.calls


def test_back_steps_and_language_switch_keep_the_step() -> None:
    flow, _ = make_flow()
    to_present(flow)
    flow.set_locale("en")
    assert flow.view.state is FlowState.PRESENT and flow.view.locale == "en"
    flow.back()
    assert flow.view.state is FlowState.CRITERIA
    flow.back()
    assert flow.view.state is FlowState.CHOOSE_BENEFIT and flow.view.benefit is None
    flow.back()
    # Leaving the session hands the next person the site's language, not this person's choice.
    assert flow.view.state is FlowState.IDLE and flow.view.locale == "zh-CN"


def test_every_ending_returns_to_the_site_language() -> None:
    flow, _ = make_flow()
    flow.set_default_locale("en")
    assert flow.view.locale == "en"
    for end in (flow.cancel, lambda: (flow.tick(), flow.cancel())):
        flow.start()
        flow.set_locale("zh-CN")
        end()
        assert flow.view.state is FlowState.IDLE and flow.view.locale == "en"


def test_staff_can_pick_the_benefit_straight_from_idle() -> None:
    flow, _ = make_flow()
    flow.choose_benefit(BENEFIT)
    assert flow.view.state is FlowState.CRITERIA
    with pytest.raises(ValueError):
        flow.choose_benefit("no-such-benefit")


async def test_the_check_uses_the_language_shown_when_the_code_was_presented() -> None:
    flow, checker = make_flow()
    flow.set_locale("en")
    to_present(flow)
    task = flow.present(fs.ELIGIBLE_USCC)
    assert task is not None
    await task
    assert checker.calls[0][2] == "en"
    assert flow.view.decision is not None and flow.view.decision.criteria[0].title.isascii()


def test_a_listener_that_moves_the_flow_on_is_not_overtaken_by_the_stale_view() -> None:
    flow, _ = make_flow()
    seen: list[FlowState] = []

    def refuse_present(view: object) -> None:
        if flow.view.state is FlowState.PRESENT:
            flow.no_device_available()

    flow.subscribe(refuse_present)
    flow.subscribe(lambda view: seen.append(view.state))
    to_present_states = [FlowState.CHOOSE_BENEFIT, FlowState.CRITERIA]
    flow.start()
    flow.choose_benefit(BENEFIT)
    flow.ready_to_present()
    assert seen[1:] == [*to_present_states, FlowState.ERROR]
    assert flow.view.state is FlowState.ERROR
