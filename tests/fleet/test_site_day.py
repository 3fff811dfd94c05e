"""Today's totals: energy, import cost, peak and PV self-consumption, from the site samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest

from fleet.persistence.records import SiteSampleRecord
from fleet.runtime import Runtime
from fleet.site_day import day_totals, local_midnight

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _flat_price(starts: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> np.ndarray:
    return np.full(len(starts), 0.2)


def _sample(minute: int, ev: float, base: float, pv: float, grid: float | None) -> SiteSampleRecord:
    return SiteSampleRecord(T0 + minute * MINUTE, ev, grid, pv, base)


def test_totals_of_three_five_minute_samples() -> None:
    samples = [
        _sample(-5, 99, 99, 0, 198),  # yesterday: not counted
        _sample(0, 12, 24, 0, 36),
        _sample(5, 12, 24, 60, None),  # no grid meter: import is what PV does not cover, here 0
        _sample(10, 24, 24, 12, 36),
    ]
    totals = day_totals(samples, T0, T0 + 15 * MINUTE, _flat_price)
    # Each sample holds 5 min = 1/12 h: import 36/12 + 0 + 36/12, EV 12/12 + 12/12 + 24/12.
    assert totals.grid_import_kwh == pytest.approx(6.0)
    assert totals.ev_energy_kwh == pytest.approx(4.0)
    # PV 60/12 + 12/12 = 6 kWh, of which min(60, 36)/12 + min(12, 48)/12 = 4 kWh used on site.
    assert totals.pv_energy_kwh == pytest.approx(6.0)
    assert totals.pv_self_consumed_kwh == pytest.approx(4.0)
    assert totals.pv_self_consumption_share == pytest.approx(4 / 6, abs=1e-4)
    assert totals.peak_import_kw == 36
    assert totals.import_cost_eur == pytest.approx(1.2)


def test_a_gap_in_the_samples_counts_for_nothing() -> None:
    totals = day_totals([_sample(0, 60, 0, 0, 60)], T0, T0 + 60 * MINUTE, _flat_price)
    # One reading counts for 5 minutes, not for the hour nobody measured.
    assert totals.grid_import_kwh == pytest.approx(5.0)
    assert totals.pv_self_consumption_share is None


def test_no_samples_no_energy() -> None:
    totals = day_totals([], T0, T0 + 60 * MINUTE, _flat_price)
    assert (totals.grid_import_kwh, totals.peak_import_kw, totals.import_cost_eur) == (0.0, None, 0.0)


def test_the_day_starts_at_local_midnight() -> None:
    # 23:30 UTC on 1 June is already 2 June in Milan (UTC+2 in summer).
    midnight = local_midnight(datetime(2026, 6, 1, 23, 30, tzinfo=UTC), "Europe/Rome")
    assert midnight.astimezone(UTC) == datetime(2026, 6, 1, 22, 0, tzinfo=UTC)


async def test_the_route_prices_the_import_at_the_site_tariff(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    since = local_midnight(now, runtime.site.site.location.timezone)
    at = max(since.astimezone(UTC), now - 4 * MINUTE)
    await runtime.store.add_site_samples([SiteSampleRecord(at, 20.0, 60.0, 0.0, 40.0)])

    today = (await api.get("/api/v1/site/today")).json()

    hours = (runtime.clock.now() - at).total_seconds() / 3600
    assert datetime.fromisoformat(today["since"]) == since
    assert today["grid_import_kwh"] == pytest.approx(60 * hours, rel=0.05)
    assert today["ev_energy_kwh"] == pytest.approx(20 * hours, rel=0.05)
    assert today["peak_import_kw"] == 60
    tariff = runtime.site.site.tariff
    bands = {tariff.f1_eur_per_kwh, tariff.f2_eur_per_kwh, tariff.f3_eur_per_kwh}
    price = today["import_cost_eur"] / today["grid_import_kwh"]
    assert min(bands) - 1e-3 <= price <= max(bands) + 1e-3
