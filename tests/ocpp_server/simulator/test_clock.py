"""ScaledClock: simulated time is start + real elapsed time x speedup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp_server.simulator.clock import ScaledClock, SimClock, sleep_until


class _ManualTime:
    """A real-time source the test advances by hand."""

    def __init__(self) -> None:
        self.value_s = 1000.0

    def __call__(self) -> float:
        return self.value_s


START = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)


def test_now_is_start_plus_elapsed_real_time_times_speedup() -> None:
    real = _ManualTime()
    clock = ScaledClock(START, 600, monotonic=real)
    assert clock.now() == START
    real.value_s += 1.5
    assert clock.now() == START + timedelta(seconds=900)
    real.value_s += 6.0
    assert clock.now() == START + timedelta(seconds=4500)


def test_start_is_normalised_to_utc() -> None:
    rome_summer = timezone(timedelta(hours=2))
    clock = ScaledClock(datetime(2024, 5, 1, 6, 0, tzinfo=rome_summer), 1, monotonic=_ManualTime())
    assert clock.start_utc == START
    assert clock.now().utcoffset() == timedelta(0)


def test_rejects_naive_start_and_non_positive_speedup() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ScaledClock(datetime(2024, 5, 1), 10)
    with pytest.raises(ValueError, match="speedup"):
        ScaledClock(START, 0)
    with pytest.raises(ValueError, match="speedup"):
        ScaledClock(START, -2)


async def test_sleep_rejects_negative_duration() -> None:
    with pytest.raises(ValueError, match="duration_s"):
        await ScaledClock(START, 10).sleep(-1)


async def test_sleep_until_reaches_the_target_time() -> None:
    clock: SimClock = ScaledClock(START, 36_000)
    target = START + timedelta(seconds=90)
    await sleep_until(clock, target)
    assert clock.now() >= target


async def test_sleep_until_a_past_time_returns_at_once() -> None:
    clock = ScaledClock(START, 1)
    await sleep_until(clock, START - timedelta(hours=1))
    assert clock.now() < START + timedelta(seconds=1)
