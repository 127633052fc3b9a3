"""Whatever the person or the devices do, the flow never crashes and never keeps anything."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

import tests.support.flow as fs
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState

ACTIONS = st.lists(
    st.one_of(
        st.sampled_from(["start", "choose", "ready", "back", "cancel", "finish", "retry", "touch", "tick",
                         "device_lost", "no_device", "en", "zh"]),
        st.binary(max_size=64),
        st.text(max_size=40),
        st.just(fs.ELIGIBLE_USCC),
    ),
    max_size=30,
)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=150, deadline=None)
@given(ACTIONS)
def test_any_sequence_of_actions_is_handled_and_cancel_always_wipes(actions: list[object]) -> None:
    async def walk() -> None:
        clock = Clock()
        flow = SessionFlow(fs.catalog(), fs.reader, fs.FactsChecker({fs.ELIGIBLE_USCC: fs.FACTS_ELIGIBLE}), clock=clock)
        for action in actions:
            if isinstance(action, bytes | str) and action not in {
                "start", "choose", "ready", "back", "cancel", "finish", "retry", "touch", "tick",
                "device_lost", "no_device", "en", "zh",
            }:
                flow.present(action)
            elif action == "choose":
                flow.choose_benefit("expedited-permit")
            elif action == "ready":
                flow.ready_to_present()
            elif action == "tick":
                clock.now += 45
                flow.tick()
            elif action == "no_device":
                flow.no_device_available()
            elif action in ("en", "zh"):
                flow.set_locale("en" if action == "en" else "zh-CN")
            else:
                getattr(flow, str(action))()
            await asyncio.sleep(0)
            assert flow.view.state in FlowState
        flow.cancel()
        await asyncio.sleep(0)
        assert flow.view.state is FlowState.IDLE and not flow.holds_personal_data

    asyncio.run(walk())
