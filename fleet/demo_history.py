"""The demo's past and its meters: one generated, seeded world (forecasts.history) for both.

On a fresh demo database, four weeks of history before the simulated start are stored (finished
sessions and site samples), so the forecasters have something to learn from on the first plan; the
same generated PV and base-load series, continued past the start, are what the demo's site meter
reads, so history and live measurements are one consistent record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from fleet.forecast_inputs import forecast_inputs
from fleet.persistence.records import FinishedSession, SiteSampleRecord
from fleet.persistence.store import Store
from fleet.site_config import SiteConfig
from fleet.site_meter import SeriesSiteMeter
from forecasts.history import History, HistorySite, generate_history
from forecasts.history_hub import HubCharger, HubVehicle

HISTORY_DAYS = 28
FUTURE_DAYS = 8
"""How far past the start the demo's meters can read (a week of simulated time, and a margin)."""


def history_site(site: SiteConfig) -> HistorySite:
    inputs = forecast_inputs(site)
    return HistorySite(
        location=inputs.location,
        pv_arrays=inputs.pv_arrays,
        base_load=inputs.base_load,
        chargers=tuple(
            HubCharger(c.id, c.kind, c.max_power_kw, connector_id=n)
            for c in site.charge_points
            for n in range(1, c.connectors + 1)
        ),
        vehicles=tuple(
            HubVehicle(v.id, v.vehicle_class, v.battery_kwh, v.max_ac_kw, v.max_dc_kw) for v in site.vehicles
        ),
    )


def generate_demo_world(site: SiteConfig, start_utc: datetime, seed: int) -> History:
    return generate_history(
        history_site(site),
        start=start_utc - timedelta(days=HISTORY_DAYS),
        days=HISTORY_DAYS + FUTURE_DAYS,
        seed=seed,
    )


def ev_power_kw(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
    """EV power of past sessions on ``index`` [kW]: each session's average power over its stay."""
    power = np.zeros(len(index))
    at_ns = index.as_unit("ns").asi8
    arrived_ns = pd.DatetimeIndex(sessions["arrived_at"]).as_unit("ns").asi8
    departed_ns = pd.DatetimeIndex(sessions["departed_at"]).as_unit("ns").asi8
    energy_kwh = sessions["energy_kwh"].to_numpy(dtype=float)
    for start_ns, end_ns, kwh in zip(arrived_ns, departed_ns, energy_kwh, strict=True):
        if end_ns > start_ns:
            inside = (at_ns >= start_ns) & (at_ns < end_ns)
            power[inside] += kwh / ((end_ns - start_ns) / 3.6e12)
    return pd.Series(power, index=index, name="ev_power_kw")


def finished_sessions(sessions: pd.DataFrame, id_tags: dict[str, str]) -> list[FinishedSession]:
    arrived = pd.DatetimeIndex(sessions["arrived_at"]).to_pydatetime()
    departed = pd.DatetimeIndex(sessions["departed_at"]).to_pydatetime()
    columns = zip(
        sessions["charge_point_id"].astype(str),
        sessions["connector_id"].astype(int),
        sessions["vehicle_id"].astype(str),
        arrived,
        departed,
        sessions["energy_kwh"].astype(float),
        strict=True,
    )
    return [
        FinishedSession(
            charge_point_id=charge_point_id,
            connector_id=int(connector_id),
            id_tag=id_tags.get(vehicle_id, vehicle_id),
            vehicle_id=vehicle_id,
            started_at=started_at,
            stopped_at=stopped_at,
            energy_kwh=float(energy_kwh),
        )
        for charge_point_id, connector_id, vehicle_id, started_at, stopped_at, energy_kwh in columns
    ]


async def store_history(store: Store, site: SiteConfig, world: History, start_utc: datetime) -> int:
    """Store the part of ``world`` before ``start_utc``; returns the number of sessions stored."""
    start = pd.Timestamp(start_utc)
    past = world.sessions[world.sessions["departed_at"] < start]
    id_tags = {v.id: v.id_tag for v in site.vehicles}
    await store.import_sessions(finished_sessions(past, id_tags))
    index = pd.DatetimeIndex(world.pv_kw.index)
    before = index < start
    index = index[before]
    ev_kw = ev_power_kw(past, index)
    pv_kw = world.pv_kw.to_numpy()[before]
    base_kw = world.base_load_kw.to_numpy()[before]
    await store.add_site_samples(
        [
            SiteSampleRecord(at.to_pydatetime(), float(ev), float(ev + base - pv), float(pv), float(base))
            for at, ev, pv, base in zip(index, ev_kw.to_numpy(), pv_kw, base_kw, strict=True)
        ]
    )
    return len(past)


def demo_meter(world: History) -> SeriesSiteMeter:
    return SeriesSiteMeter(world.pv_kw, world.base_load_kw)
