"""The speed benchmark's price of planning the far hours in longer slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.speed.cases import SNAPSHOT_AT
from benchmarks.speed.grid_quality import grid_quality, held_on
from benchmarks.speed.snapshot import hourly_after, milan_site, take_snapshot
from optimizer import ChargingProblem, VehicleRequest, solve

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _problem(
    durations_h: tuple[float, ...], available_h: tuple[float, ...], prices: tuple[float, ...]
) -> ChargingProblem:
    starts = [T0]
    for h in durations_h[:-1]:
        starts.append(starts[-1] + timedelta(hours=h))
    n = len(durations_h)
    car = VehicleRequest(
        vehicle_id="car", connector_key="cp/1", max_power_kw=10.0, energy_needed_kwh=6.0, available_h=available_h
    )
    return ChargingProblem(
        slot_starts_utc=tuple(starts),
        slot_duration_h=durations_h,
        grid_import_limit_kw=(100.0,) * n,
        base_load_kw=(0.0,) * n,
        pv_kw=(0.0,) * n,
        pv_firm_kw=(0.0,) * n,
        import_price_eur_per_kwh=prices,
        export_price_eur_per_kwh=(0.0,) * n,
        vehicles=(car,),
    )


def test_a_long_slots_power_is_held_in_each_of_its_parts_while_the_vehicle_is_there() -> None:
    # A quarter hour, then one slot for the next three; the car leaves after the third quarter.
    coarse = solve(_problem((0.25, 0.75), (0.25, 0.5), (0.30, 0.10)))
    fine = _problem((0.25, 0.25, 0.25, 0.25), (0.25, 0.25, 0.25, 0.0), (0.30, 0.10, 0.10, 0.10))
    # 6 kWh at 92 %: the cheap half hour first (10 kW x 0.5 h x 0.92 = 4.6 kWh), the rest now.
    power_kw = coarse.plans[0].power_kw
    assert power_kw[1] == pytest.approx(10.0)
    assert power_kw[0] == pytest.approx((6.0 - 4.6) / 0.92 / 0.25)

    assert held_on(fine, coarse) == [[power_kw[0], power_kw[1], power_kw[1], 0.0]]


def test_the_milan_plan_on_hours_is_priced_on_quarter_hours() -> None:
    site = hourly_after(milan_site(), 2.0)
    snapshot = take_snapshot(site, SNAPSHOT_AT, 2026)

    quality = grid_quality(site, snapshot, time_limit_s=30.0)

    assert quality.fine_status == "optimal"
    assert quality.fine_slots == 96  # 24 h from 16:00 in quarter hours
    assert quality.coarse_slots == 8 + 22  # 16:00-18:00 in quarter hours, then hours to the horizon's end
    # The quarter-hour plan is the optimum of the problem both are priced on: the held plan cannot beat it
    # (beyond what the repair into setpoints moves either). Held without a re-plan, an hourly slot puts the
    # power of a vehicle leaving within it into fewer quarter hours: a higher peak. The control loop
    # re-plans those hours in quarter hours before they run.
    assert quality.cost_rise_pct > -0.1
    assert quality.coarse_cost_eur > quality.fine_cost_eur


def test_comparing_grids_needs_a_multi_resolution_site() -> None:
    site = milan_site()
    with pytest.raises(ValueError, match="fine_horizon_h"):
        grid_quality(site, take_snapshot(site, SNAPSHOT_AT, 2026), time_limit_s=10.0)
