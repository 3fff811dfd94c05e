"""A gateway shows the controller's time, however fast the controller's clock runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import nats

from fleet.bus.broker import BusSettings, state_bucket
from fleet.bus.clock import ClockReading, FollowedClock, follow_clock, publish_clock
from ocpp_server.simulator.clock import ScaledClock
from tests.ocpp_server.support import until

START = datetime(2025, 3, 10, 5, 30, tzinfo=UTC)


def test_a_followed_clock_maps_the_wall_clock_through_the_reading() -> None:
    wall = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    clock = FollowedClock(lambda: wall[0])
    assert clock.now() == wall[0]
    clock.follow(ClockReading(START, wall[0], 60.0))
    wall[0] += timedelta(seconds=2)
    assert clock.now() == START + timedelta(minutes=2)
    assert clock.speedup == 60.0


async def test_a_gateway_follows_the_clock_the_controller_publishes(bus: BusSettings) -> None:
    client = await nats.connect(bus.url)
    try:
        bucket = await state_bucket(client.jetstream(), bus.subjects)
        followed = FollowedClock()
        following = asyncio.create_task(follow_clock(bucket, bus.subjects.clock_key, followed))
        controller_clock = ScaledClock(START, 60.0)
        await publish_clock(bucket, bus.subjects.clock_key, controller_clock, 60.0)
        await until("the gateway follows", lambda: followed.speedup == 60.0)
        gap_s = abs((followed.now() - controller_clock.now()).total_seconds())
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    finally:
        await client.close()
    # 60x: a millisecond between the two readings is 60 ms of demo time.
    assert gap_s < 3.0


async def test_following_stops_however_soon_it_is_cancelled(bus: BusSettings) -> None:
    # The watch's requests to the server end in asyncio.wait_for, which on Python 3.11 returns the
    # reply and drops a cancellation that comes in the same turn: cancelled at any moment of its
    # start, the task must still end (a gateway's task group waits for it). The replies come
    # within a few milliseconds: cancel after 0 to 6 ms, every 20 us, turning the loop meanwhile.
    loop = asyncio.get_running_loop()
    client = await nats.connect(bus.url)
    try:
        bucket = await state_bucket(client.jetstream(), bus.subjects)
        for step in range(300):
            following = asyncio.create_task(follow_clock(bucket, bus.subjects.clock_key, FollowedClock()))
            cancel_at = loop.time() + step * 20e-6
            while loop.time() < cancel_at:  # noqa: ASYNC110 - each turn is a moment to cancel at
                await asyncio.sleep(0)
            following.cancel()
            done, _ = await asyncio.wait([following], timeout=2.0)
            assert done, f"still following 2 s after a cancel {step * 20} us into its start"
    finally:
        await client.close()
