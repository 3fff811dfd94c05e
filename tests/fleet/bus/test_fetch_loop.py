"""The controller's pull loop: idle timeouts go on, a cancellation ends it however it surfaces."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

from fleet.bus.fetch_loop import fetch_until_cancelled

ENDS_WITHIN_S = 2.0


def _scripted(answers: list[list[Msg] | Exception]) -> Callable[[], Awaitable[list[Msg]]]:
    """A fetch that gives ``answers`` in turn (raising the exceptions), then waits for ever."""

    async def fetch() -> list[Msg]:
        if not answers:
            await asyncio.sleep(3600)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return fetch


def _message(n: int) -> Msg:
    return Msg(_client=None, subject=f"events.{n}", data=b"{}")  # type: ignore[arg-type]


async def test_a_cancellation_that_surfaces_as_the_fetch_timeout_still_ends_the_loop() -> None:
    # nats-py's next_msg waits on a task of its own with asyncio.wait_for: a cancellation that
    # meets the fetch's timeout there comes out as the timeout. The first fetch does that; later
    # ones let a cancellation through, so that a loop that went on can still be stopped.
    calls = 0

    async def fetch() -> list[Msg]:
        nonlocal calls
        calls += 1
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if calls == 1:
                raise NatsTimeoutError from None
            raise
        return []

    loop = asyncio.create_task(fetch_until_cancelled(fetch, lambda _: None))
    await asyncio.sleep(0.05)
    loop.cancel()

    done, _ = await asyncio.wait([loop], timeout=ENDS_WITHIN_S)

    if not done:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert done, f"the loop still ran {ENDS_WITHIN_S} s after being cancelled"
    assert loop.cancelled()
    assert calls == 1


async def test_idle_timeouts_go_on_and_every_message_is_handled_in_order() -> None:
    answers: list[list[Msg] | Exception] = [
        NatsTimeoutError(),
        TimeoutError(),
        [_message(1), _message(2)],
        NatsTimeoutError(),
        [_message(3)],
    ]
    handled: list[str] = []
    all_handled = asyncio.Event()

    def handle(message: Msg) -> None:
        handled.append(message.subject)
        if len(handled) == 3:
            all_handled.set()

    loop = asyncio.create_task(fetch_until_cancelled(_scripted(answers), handle))
    try:
        await asyncio.wait_for(all_handled.wait(), ENDS_WITHIN_S)
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

    assert handled == ["events.1", "events.2", "events.3"]


async def test_a_broker_error_is_waited_out() -> None:
    answers: list[list[Msg] | Exception] = [ConnectionError("broker away"), [_message(1)]]
    got = asyncio.Event()

    loop = asyncio.create_task(fetch_until_cancelled(_scripted(answers), lambda _: got.set()))
    try:
        await asyncio.wait_for(got.wait(), 5.0)
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
