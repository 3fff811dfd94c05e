"""Stored plans (the newest is current) and site power samples."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from fleet.persistence import InvalidValueError, Store

from .conftest import T0


async def test_the_newest_schedule_is_the_latest(store: Store) -> None:
    assert await store.latest_schedule() is None
    body = {"vehicles": {"car-01": [11.0, 7.4, 0.0]}, "site": {"pv_kw": [0.0, 35.5, 80.25]}}
    newer = await store.save_schedule(T0 + timedelta(minutes=15), "ok", "optimal", 41.3, 0.18, 2.5, body)
    await store.save_schedule(T0, "ok", "optimal", 40.0, 0.2, 0.0, {})

    latest = await store.latest_schedule()

    assert latest is not None
    assert (latest.id, latest.created_at, latest.status, latest.termination) == (
        newer,
        T0 + timedelta(minutes=15),
        "ok",
        "optimal",
    )
    assert (latest.objective_eur, latest.solve_time_s, latest.unmet_energy_kwh) == (41.3, 0.18, 2.5)
    assert latest.body == body


async def test_a_schedule_without_solution_has_no_objective(store: Store) -> None:
    await store.save_schedule(T0, "infeasible", "infeasible", None, 1.5, 120.0, {"reason": "limit"})

    latest = await store.latest_schedule()

    assert latest is not None
    assert latest.objective_eur is None


async def test_a_body_that_is_not_json_is_refused(store: Store) -> None:
    with pytest.raises(InvalidValueError, match=r"^body: must be a JSON document"):
        await store.save_schedule(T0, "ok", "optimal", 1.0, 0.1, 0.0, {"pv_kw": [math.nan]})

    assert await store.latest_schedule() is None


async def test_a_site_sample_at_the_same_instant_replaces_the_first(store: Store) -> None:
    await store.add_site_sample(T0, 100.0, 150.0, 30.0, 80.0)
    await store.add_site_sample(T0, 110.0, 160.0, None, 80.0)
    await store.add_site_sample(T0 + timedelta(minutes=1), 120.0, None, None, None)
    await store.add_site_sample(T0 - timedelta(minutes=1), 90.0, None, None, None)

    samples = await store.site_samples(T0)

    assert [(s.measured_at, s.ev_power_kw, s.grid_import_kw, s.pv_kw) for s in samples] == [
        (T0, 110.0, 160.0, None),
        (T0 + timedelta(minutes=1), 120.0, None, None),
    ]


async def test_site_samples_up_to_an_instant_include_it(store: Store) -> None:
    for minutes in range(5):
        await store.add_site_sample(T0 + timedelta(minutes=minutes), 10.0 * minutes, None, None, None)

    samples = await store.site_samples(T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))

    assert [s.ev_power_kw for s in samples] == [10.0, 20.0, 30.0]


async def test_a_non_finite_power_is_refused(store: Store) -> None:
    with pytest.raises(InvalidValueError, match=r"^pv_kw: must be a finite number"):
        await store.add_site_sample(T0, 100.0, None, math.inf, None)
