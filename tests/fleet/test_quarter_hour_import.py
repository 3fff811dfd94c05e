"""The capacity charge's quarter hour now running: its import so far reaches the plan."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fleet.clock import interval_start
from fleet.persistence.records import SiteSampleRecord
from fleet.planning import import_so_far
from fleet.runtime import Runtime

QUARTER_HOUR = timedelta(minutes=15)
T = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)


def _sample(at: datetime, grid_import_kw: float | None) -> SiteSampleRecord:
    return SiteSampleRecord(at, 20.0, grid_import_kw, None, None)


def test_the_quarter_hours_import_is_the_time_weighted_mean_of_its_readings_before_now() -> None:
    samples = [
        _sample(T - timedelta(minutes=11), 999.0),  # the quarter hour before
        _sample(T - timedelta(minutes=10), 100.0),  # 09:00, its first instant
        _sample(T - timedelta(minutes=5), None),  # no grid meter in that sample
        _sample(T - timedelta(minutes=1), 200.0),
        _sample(T, 999.0),  # now: not yet gone
    ]
    so_far = import_so_far(samples, T)
    assert so_far is not None
    assert so_far.elapsed_h == pytest.approx(10 / 60)
    assert so_far.mean_import_kw == pytest.approx((9 * 100.0 + 1 * 200.0) / 10)  # 100 kW held for 9 minutes
    assert import_so_far(samples, T.replace(minute=15)) is None  # at the boundary: nothing gone
    assert import_so_far(samples[:1], T) is None  # no reading in this quarter hour


def test_readings_crowded_in_a_moment_do_not_outweigh_the_rest_of_the_quarter_hour() -> None:
    # 150 kW from 09:00, then a burst of six readings at 300 kW in the last minute before 09:10.
    burst = [_sample(T - timedelta(seconds=60 - 10 * k), 300.0) for k in range(6)]
    so_far = import_so_far([_sample(T - timedelta(minutes=10), 150.0), *burst], T)
    assert so_far is not None
    assert so_far.mean_import_kw == pytest.approx((9 * 150.0 + 1 * 300.0) / 10)  # a plain mean: 278.6 kW


def test_the_last_reading_before_the_quarter_hour_holds_until_its_first_one() -> None:
    samples = [_sample(T - timedelta(minutes=12), 240.0), _sample(T - timedelta(minutes=6), 120.0)]
    so_far = import_so_far(samples, T)  # 09:00-09:04 at the 08:58 reading, 09:04-09:10 at 120 kW
    assert so_far is not None
    assert so_far.mean_import_kw == pytest.approx((4 * 240.0 + 6 * 120.0) / 10)
    alone = import_so_far(samples[1:], T)  # nothing before it: the first reading holds back to 09:00
    assert alone is not None
    assert alone.mean_import_kw == pytest.approx(120.0)


async def test_the_control_loop_plans_with_the_quarter_hours_import_so_far(runtime: Runtime) -> None:
    now = runtime.clock.now()
    start = interval_start(now, QUARTER_HOUR)
    if start + QUARTER_HOUR - now < timedelta(seconds=2) or now - start < timedelta(milliseconds=10):
        await asyncio.sleep(2.5)  # keep clear of a boundary while the snapshot is taken
        now = runtime.clock.now()
        start = interval_start(now, QUARTER_HOUR)
    middle = start + (now - start) / 2
    await runtime.store.add_site_samples(
        [_sample(start - timedelta(minutes=1), 999.0), _sample(start, 120.0), _sample(middle, 180.0)]
    )
    snapshot = await runtime.control_loop.snapshot()
    assert snapshot.import_so_far is not None
    # 120 kW from the start, 180 kW from the middle reading to the snapshot's own now.
    expected_kw = (120.0 * (middle - start) + 180.0 * (snapshot.now - middle)) / (snapshot.now - start)
    assert snapshot.import_so_far.mean_import_kw == pytest.approx(expected_kw)
    assert snapshot.import_so_far.elapsed_h == pytest.approx((snapshot.now - start).total_seconds() / 3600)
