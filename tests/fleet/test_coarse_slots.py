"""A planning grid with longer slots beyond ``planning.fine_horizon_h``: the forecast, the limits, the plan."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from fleet.dispatch import limit_at, tx_profile
from fleet.planning import build_problem, idle_connector_reserve_kw, plugged_vehicles
from fleet.site_config import SiteConfig, load_site
from fleet.site_forecast import SiteForecast, coarsened, fallback_forecast, forecast_site
from optimizer import solve
from tests.fleet.builders import T0, booking, transaction, vehicle

SITE = load_site()


COARSE_SITE = SITE.with_planning(fine_horizon_h=2.0, coarse_slot_min=60)


def _four_quarter_hours() -> SiteForecast:
    uniform = fallback_forecast(SITE, T0, 1.0)
    assert len(uniform.slot_starts) == 4
    return SiteForecast(
        slot_starts=uniform.slot_starts,
        slot_duration_h=(0.25, 0.25, 0.25, 0.25),
        pv_kw=(10.0, 20.0, 30.0, 40.0),
        pv_p10_kw=(5.0, 10.0, 15.0, 20.0),
        pv_p90_kw=(12.0, 24.0, 36.0, 48.0),
        pv_firm_kw=(4.0, 8.0, 2.0, 6.0),
        base_load_kw=(100.0, 120.0, 90.0, 110.0),
        import_price_eur_per_kwh=(0.2, 0.2, 0.1, 0.1),
        export_price_eur_per_kwh=(0.05, 0.05, 0.05, 0.05),
        tariff_band=("F1", "F2", "F2", "F2"),
        base_load_peak_kw=(100.0, 120.0, 90.0, 110.0),
    )


def test_joined_slots_hold_means_and_the_extremes_a_limit_needs() -> None:
    forecast = coarsened(_four_quarter_hours(), np.array([0, 1, 1, 1]))

    assert forecast.slot_starts == (T0, T0 + timedelta(minutes=15))
    assert forecast.slot_duration_h == (0.25, 0.75)
    assert forecast.pv_kw == pytest.approx((10.0, 30.0))
    assert forecast.pv_p10_kw == pytest.approx((5.0, 15.0))
    assert forecast.base_load_kw == pytest.approx((100.0, (120 + 90 + 110) / 3))
    assert forecast.import_price_eur_per_kwh == pytest.approx((0.2, (0.2 + 0.1 + 0.1) / 3))
    assert forecast.pv_firm_kw == (4.0, 2.0)  # the lowest: the limit may lean only on that
    assert forecast.base_load_peak_kw == (100.0, 120.0)
    assert forecast.tariff_band == ("F1", "F2")


def test_joining_weighs_each_slot_by_its_length() -> None:
    four = _four_quarter_hours()
    uneven = SiteForecast(
        **{**{f: getattr(four, f) for f in four.__slots__}, "slot_duration_h": (0.1, 0.25, 0.25, 0.4)}
    )

    forecast = coarsened(uneven, np.array([0, 0, 1, 1]))

    assert forecast.slot_duration_h == pytest.approx((0.35, 0.65))
    assert forecast.base_load_kw == pytest.approx(((0.1 * 100 + 0.25 * 120) / 0.35, (0.25 * 90 + 0.4 * 110) / 0.65))


def test_joining_rejects_groups_that_do_not_fit_the_slots() -> None:
    with pytest.raises(ValueError, match="groups"):
        coarsened(_four_quarter_hours(), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="groups"):
        coarsened(_four_quarter_hours(), np.array([0, 1, 1]))


def test_the_forecast_has_fine_slots_then_clock_hours_and_keeps_every_energy() -> None:
    now = T0 + timedelta(minutes=7)
    fine = forecast_site(SITE, now, 24)
    joined = forecast_site(COARSE_SITE, now, 24)

    starts = [s - now for s in joined.slot_starts]
    # fine slots for 2 h, to the next hour after that (09:07 + 2 h -> 12:00 UTC), then whole hours
    assert starts[:2] == [timedelta(0), timedelta(minutes=8)]
    coarse = [t for t, h in enumerate(joined.slot_duration_h) if h > 0.25 + 1e-9]
    assert joined.slot_starts[coarse[0]] == T0.replace(hour=12)
    assert all(joined.slot_starts[t].minute == 0 for t in coarse)
    assert all(h == pytest.approx(1.0) for h in joined.slot_duration_h[coarse[0] : -1])
    assert len(joined.slot_starts) == 12 + 4 + 21 - 3  # 09:07-12:00 in quarters, then 21 hours to 09:15
    assert sum(joined.slot_duration_h) == pytest.approx(sum(fine.slot_duration_h))
    for name in ("pv_kw", "base_load_kw", "import_price_eur_per_kwh"):
        energy = [sum(v * h for v, h in zip(getattr(f, name), f.slot_duration_h, strict=True)) for f in (fine, joined)]
        assert energy[1] == pytest.approx(energy[0]), name
    peaks = np.array(joined.base_load_peak_kw) - np.array(joined.base_load_kw)
    assert peaks.min() >= -1e-9
    assert peaks.max() > 1.0  # the Milan load changes within some hours


def test_a_long_slot_keeps_its_limit_for_its_busiest_part_and_its_peak_margin_on_the_mean() -> None:
    forecast = coarsened(_four_quarter_hours(), np.array([0, 1, 1, 1]))

    problem = build_problem(SITE, forecast, [])

    # with every connector idle, each keeps its fail-safe reserve
    limit_kw = SITE.site.grid.import_limit_kw - idle_connector_reserve_kw(SITE, []) - SITE.planning.grid_margin_kw
    assert problem.grid_import_limit_kw == pytest.approx((limit_kw, limit_kw - (120 - 320 / 3)))
    share = SITE.planning.base_load_peak_margin_pct / 100
    # the capacity charge is soft and re-planned in quarter hours before the hour runs: its mean
    assert problem.peak_margin_kw == pytest.approx((10 - 5 + share * 100, 30 - 15 + share * 320 / 3))


def test_a_plan_on_hours_stays_under_the_limit_in_every_quarter_hour() -> None:
    # 60 vans, nearly empty, all leaving in 8 h: more than the connection can give, so the plan rides
    # on the limit through the hourly slots too, where the base load changes from quarter to quarter.
    now = T0 + timedelta(minutes=7)
    vans = {f"VAN-{i:02d}": vehicle(f"VAN-{i:02d}", "van", 79.0) for i in range(1, 61)}
    txs = [transaction(i, c.id, f"VAN-{i:02d}", soc_percent=10.0) for i, c in enumerate(SITE.charge_points, start=1)]
    bookings = {v: booking(v, now + timedelta(hours=8), 70.0) for v in vans}
    plugged = plugged_vehicles(now, COARSE_SITE, txs, vans, bookings)
    joined = forecast_site(COARSE_SITE, now, 24)
    fine = forecast_site(SITE, now, 24)

    schedule = solve(build_problem(COARSE_SITE, joined, plugged), dispatchable=True)

    assert schedule.status.value == "optimal"
    limit_kw = SITE.site.grid.import_limit_kw - SITE.planning.grid_margin_kw
    highest_kw = 0.0
    for k, start in enumerate(fine.slot_starts):
        t = joined.slot_index(start)
        assert t is not None
        site_kw = schedule.ev_power_kw[t] + fine.base_load_kw[k] - fine.pv_firm_kw[k]
        assert site_kw <= limit_kw + 1e-6, start
        highest_kw = max(highest_kw, site_kw)
    assert highest_kw == pytest.approx(limit_kw, abs=1.0)  # the limit binds
    assert schedule.slot_duration_h == joined.slot_duration_h

    # each van's profile holds its hourly power for the whole hour, and its limit is what
    # the quarter hours were checked with
    for plan in schedule.plans:
        profile = tx_profile(schedule, plan.power_kw, 1, 1)
        for start in fine.slot_starts:
            t = joined.slot_index(start)
            assert t is not None
            assert limit_at(profile, start + timedelta(seconds=1)) == pytest.approx(plan.power_kw[t], abs=1e-3)


@pytest.mark.parametrize(("slot_min", "coarse_slot_min"), [(60, 60), (15, 30), (30, 30)])
def test_coarse_slots_must_be_a_longer_multiple_of_the_fine_ones(slot_min: int, coarse_slot_min: int) -> None:
    data = SITE.model_dump(mode="json")
    data["planning"].update(slot_min=slot_min, fine_horizon_h=2.0, coarse_slot_min=coarse_slot_min)
    if coarse_slot_min > slot_min and coarse_slot_min % slot_min == 0:
        assert SiteConfig.model_validate(data).planning.coarse_slot_min == coarse_slot_min
    else:
        with pytest.raises(ValidationError, match="coarse_slot_min"):
            SiteConfig.model_validate(data)
