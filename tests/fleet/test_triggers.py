"""Re-plan triggers: a lone one is planned at once, a burst gives one plan."""

from __future__ import annotations

import asyncio

from fleet.triggers import PlanTriggers


async def test_a_lone_trigger_settles_after_the_quiet_time_not_the_longest_wait() -> None:
    triggers = PlanTriggers()
    triggers.request_replan("plug-in on CP1/1")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await triggers.settle(quiet_s=0.05, longest_s=5.0)
    assert loop.time() - started < 2.0
    assert triggers.take().reasons == ("plug-in on CP1/1",)


async def test_a_burst_is_waited_for_but_never_longer_than_the_longest_wait() -> None:
    triggers = PlanTriggers()
    loop = asyncio.get_running_loop()

    async def burst() -> None:
        for n in range(200):
            triggers.request_replan(f"plug-in {n}")
            await asyncio.sleep(0.01)

    bursting = asyncio.create_task(burst())
    started = loop.time()
    await triggers.settle(quiet_s=0.3, longest_s=0.6)
    waited_s = loop.time() - started
    bursting.cancel()
    # Requests kept coming every 10 ms, so it waited the longest wait, and no more than that by much.
    assert 0.6 <= waited_s < 1.5
    assert len(triggers.take().reasons) > 10
