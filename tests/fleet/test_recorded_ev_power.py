"""The EV power the site recorded at an instant: what an older meter reading is paired with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet.persistence.records import SiteSampleRecord
from fleet.site_monitor import recorded_ev_power_kw

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _sample(seconds: float, ev_power_kw: float) -> SiteSampleRecord:
    return SiteSampleRecord(
        measured_at=T0 + timedelta(seconds=seconds),
        ev_power_kw=ev_power_kw,
        grid_import_kw=None,
        pv_kw=None,
        base_load_kw=None,
    )


SAMPLES = [_sample(0, 10.0), _sample(60, 20.0), _sample(120, 30.0), _sample(600, 40.0)]


@pytest.mark.parametrize(
    ("seconds", "expected_kw"),
    [
        (0, 10.0),  # a sample at the very instant
        (59.9, 10.0),  # the latest one before it holds
        (60, 20.0),
        (130, 30.0),
        (240, 30.0),  # two minutes on, it still holds: one sample may be missed
        (240.001, None),  # beyond that nothing was recorded: the controller was not running
        (599, None),
        (610, 40.0),
        (-1, None),  # before the first sample
    ],
)
def test_the_latest_sample_before_the_instant_holds_for_two_minutes(seconds: float, expected_kw: float | None) -> None:
    assert recorded_ev_power_kw(SAMPLES, T0 + timedelta(seconds=seconds)) == expected_kw


def test_nothing_recorded_is_none() -> None:
    assert recorded_ev_power_kw([], T0) is None
