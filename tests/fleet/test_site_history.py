"""Site history for the forecasters: measured series, session frames, the demo's generated world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from fleet.demo_history import ev_power_kw, generate_demo_world, store_history
from fleet.persistence.records import SiteSampleRecord
from fleet.persistence.store import Store
from fleet.planning import plugged_vehicles
from fleet.runtime import vehicle_records
from fleet.site_config import load_site
from fleet.site_history import HistoryCache, measured_series, month_peak_kw, sessions_frame
from fleet.site_meter import NoSiteMeter, SeriesSiteMeter
from tests.fleet.builders import T0, transaction, vehicle

SITE = load_site()


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    async def sleep(self, duration_s: float) -> None:
        self.at += timedelta(seconds=duration_s)


def test_measured_series_are_quarter_hour_means_and_skip_what_was_not_measured() -> None:
    samples = [SiteSampleRecord(T0 + timedelta(minutes=m), 0.0, None, float(m), None) for m in range(30)]
    pv = measured_series(samples, "pv_kw")
    assert pv is not None
    assert list(pv.to_numpy()) == [7.0, 22.0]  # means of 0..14 and 15..29
    assert measured_series(samples, "base_load_kw") is None


def _grid_import(start: datetime, kw_by_minute: list[float]) -> list[SiteSampleRecord]:
    return [SiteSampleRecord(start + timedelta(minutes=m), 0.0, kw, None, None) for m, kw in enumerate(kw_by_minute)]


def test_the_months_peak_counts_only_quarter_hours_that_are_over() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    # 09:00-09:15 at 100 kW, then six minutes at 300 kW of a quarter hour that may yet end lower.
    import_kw = measured_series(_grid_import(start, [100.0] * 15 + [300.0] * 6), "grid_import_kw")
    assert month_peak_kw(import_kw, start + timedelta(minutes=21), "Europe/Rome") == 100.0
    assert month_peak_kw(import_kw, start + timedelta(minutes=30), "Europe/Rome") == 300.0
    assert month_peak_kw(import_kw, start + timedelta(minutes=14), "Europe/Rome") == 0.0
    # A quarter hour of last month does not count: 1 March 00:00 in Milan is 28 February 23:00 UTC.
    assert month_peak_kw(import_kw, start + timedelta(days=30), "Europe/Rome") == 0.0


async def test_history_is_loaded_again_once_a_quarter_hour_is_over(database_url: str) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    store = Store.from_url(database_url)
    await store.migrate()
    await store.add_site_samples(_grid_import(start, [100.0] * 15 + [300.0] * 15))
    clock = _FixedClock(start + timedelta(minutes=29, seconds=50))
    cache = HistoryCache(SITE, store, clock)
    assert (await cache.get()).peak_import_this_month_kw == 100.0
    clock.at += timedelta(seconds=20)  # 09:30:10: well within a slot of the last load, but 09:15 is over
    assert (await cache.get()).peak_import_this_month_kw == 300.0
    clock.at += timedelta(minutes=5)
    loaded = await cache.get()
    assert loaded.loaded_at == start + timedelta(minutes=30, seconds=10)  # kept until the next boundary
    await store.close()


def test_sessions_frame_keeps_finished_sessions_of_known_vehicles() -> None:
    finished = transaction(vehicle_id="VAN-01", energy_kwh=30.0)
    finished = type(finished)(
        **{**{f: getattr(finished, f) for f in finished.__slots__}, "stopped_at": T0 + timedelta(hours=3)}
    )
    still_charging = transaction(transaction_id=2, vehicle_id="VAN-01")
    frame = sessions_frame([finished, still_charging], {"VAN-01": vehicle()})
    assert list(frame.columns) == ["vehicle_id", "vehicle_class", "arrived_at", "departed_at", "energy_kwh"]
    assert frame.to_dict("records") == [
        {
            "vehicle_id": "VAN-01",
            "vehicle_class": "van",
            "arrived_at": pd.Timestamp(T0),
            "departed_at": pd.Timestamp(T0 + timedelta(hours=3)),
            "energy_kwh": 30.0,
        }
    ]


def test_ev_power_of_a_session_is_its_average_over_the_stay() -> None:
    index = pd.date_range(T0, periods=6, freq="30min")
    sessions = pd.DataFrame(
        {"arrived_at": [pd.Timestamp(T0)], "departed_at": [pd.Timestamp(T0 + timedelta(hours=2))], "energy_kwh": [22.0]}
    )
    assert list(ev_power_kw(sessions, index).to_numpy()) == [11.0, 11.0, 11.0, 11.0, 0.0, 0.0]


def test_site_meters() -> None:
    index = pd.date_range(T0, periods=3, freq="15min")
    meter = SeriesSiteMeter(pd.Series([0.0, 30.0, 60.0], index=index), pd.Series([50.0, 50.0, 70.0], index=index))
    reading = meter.read(T0 + timedelta(minutes=20))
    assert reading.pv_kw == pytest.approx(40.0)
    assert reading.base_load_kw == pytest.approx(50.0 + 20.0 * 5 / 15)
    assert meter.read(T0 + timedelta(hours=2)).pv_kw is None  # outside what the meter recorded
    assert NoSiteMeter().read(T0).pv_kw is None


async def test_demo_history_is_stored_once_and_feeds_the_forecasters(database_url: str) -> None:
    start = datetime(2026, 6, 22, 8, 0, tzinfo=UTC)
    store = Store.from_url(database_url)
    await store.migrate()
    await store.upsert_vehicles(vehicle_records(SITE))
    world = generate_demo_world(SITE, start, seed=3)
    stored = await store_history(store, SITE, world, start)
    assert stored > 1000  # four weeks of 72 vehicles
    # Sessions that end in the window, some begun the evening before it.
    assert len(await store.finished_transactions(start - timedelta(days=30))) == stored
    assert await store_history(store, SITE, world, start) == stored
    assert len(await store.finished_transactions(start - timedelta(days=30))) == stored  # stored once

    history = await HistoryCache(SITE, store, _FixedClock(start)).get()
    await store.close()
    assert len(history.sessions) == stored
    assert history.pv_kw is not None
    assert history.pv_kw.index.max() < pd.Timestamp(start)
    assert history.base_load_kw is not None
    assert 40 * 0.8 <= history.base_load_kw.median() <= 120 * 1.2

    # A van without a booking is planned to leave at its early (P10) departure, with the large need.
    van = next(v for v in vehicle_records(SITE) if v.vehicle_class == "van")
    tx = transaction(vehicle_id=van.id, started_at=start - timedelta(hours=1), soc_percent=40.0)
    [learned] = plugged_vehicles(start, SITE, [tx], {van.id: van}, {}, history)
    [default] = plugged_vehicles(start, SITE, [tx], {van.id: van}, {})
    assert learned.needs_source.startswith("forecast from")
    assert default.needs_source == "default"
    assert learned.departure_utc >= start
    assert 0 < learned.energy_needed_kwh <= 0.6 * van.battery_kwh + 1e-6
