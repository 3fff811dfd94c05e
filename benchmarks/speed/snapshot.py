"""Sites and state snapshots for the speed benchmark: what the control loop reads before a re-plan.

A snapshot is the store's content at one instant: the active transactions with their latest meter
values, the fleet's vehicles and the current bookings. The Milan site is the bundled site file; the
larger sites replicate its fleet and give every vehicle a charger, so that every vehicle is in the
LP (the solver's worst case). Grid limit, PV and base load scale with the site.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.milan.records import METER_START_KWH, active_transaction, booking, vehicle_records
from fleet.persistence.records import BookingRecord, TransactionRecord, VehicleRecord
from fleet.planning import connector_max_power_kw
from fleet.site_config import SiteConfig, load_site, parse_site

MILAN_VEHICLES = 72
MILAN_CHARGERS = 60
DC_SHARE = 1 / 3
"""Share of rapid DC chargers at the Milan hub (20 of 60)."""
VAN_PRIORITY = 2.0
CAR_PRIORITY = 1.0
CAR_BOOKED_SHARE = 0.75
"""Share of plugged-in cars with a booking; the others are planned on the class defaults."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The store's content at ``now``, as :func:`fleet.planning.plugged_vehicles` takes it."""

    now: datetime
    transactions: tuple[TransactionRecord, ...]
    vehicles: dict[str, VehicleRecord]
    bookings: dict[str, BookingRecord]


def milan_site(*, horizon_h: float = 24.0) -> SiteConfig:
    """The bundled Milan site with the planning horizon set to ``horizon_h`` [h]."""
    site = load_site()
    return site.with_planning(horizon_h=horizon_h)


def scaled_site(n_vehicles: int) -> SiteConfig:
    """The Milan fleet replicated to ``n_vehicles`` (a multiple of 72), with one charger per vehicle.

    Chargers keep Milan's mix (a third DC 50 kW, the rest AC 22 kW); the import limit keeps Milan's
    500 kW per 60 chargers, and PV and base load scale with the fleet.
    """
    if n_vehicles <= 0 or n_vehicles % MILAN_VEHICLES:
        raise ValueError(f"n_vehicles: must be a positive multiple of {MILAN_VEHICLES}, got {n_vehicles}")
    copies = n_vehicles // MILAN_VEHICLES
    data: dict[str, Any] = load_site().model_dump(mode="json")
    milan_dc = next(c for c in data["charge_points"] if c["kind"] == "DC")
    milan_ac = next(c for c in data["charge_points"] if c["kind"] == "AC")
    n_dc = round(n_vehicles * DC_SHARE)
    data["charge_points"] = [{**milan_dc, "id": f"MI-DC-{i:05d}"} for i in range(1, n_dc + 1)] + [
        {**milan_ac, "id": f"MI-AC-{i:05d}"} for i in range(1, n_vehicles - n_dc + 1)
    ]
    data["vehicles"] = [
        {**v, "id": f"{v['id']}-{k:03d}", "id_tag": f"{v['id_tag']}-{k:03d}"}
        for k in range(copies)
        for v in data["vehicles"]
    ]
    grid = data["site"]["grid"]
    grid["import_limit_kw"] = grid["import_limit_kw"] * n_vehicles / MILAN_CHARGERS
    grid["transformer_kva"] = None
    for array in data["site"]["pv_arrays"]:
        array["peak_power_kwp"] *= copies
    base = data["site"]["base_load"]
    base["min_kw"] *= copies
    base["max_kw"] *= copies
    return parse_site(data, source=f"Milan site x{copies}")


def hourly_after(site: SiteConfig, fine_h: float) -> SiteConfig:
    """``site`` planning in its own slots for ``fine_h`` hours, then in hours (``planning.fine_horizon_h``)."""
    return site.with_planning(fine_horizon_h=fine_h, coarse_slot_min=60)


def _next_local(now: datetime, at: time, timezone: ZoneInfo, days_ahead: int) -> datetime:
    local = now.astimezone(timezone)
    day = local.date() + timedelta(days=days_ahead + (1 if local.time() >= at else 0))
    return datetime.combine(day, at, tzinfo=timezone).astimezone(now.tzinfo)


def take_snapshot(site: SiteConfig, now: datetime, seed: int, *, stay_h: float = 12.0) -> Snapshot:
    """Every charger busy (vans first, on AC chargers), seeded meter values and bookings.

    Parameters
    ----------
    site
        The site; its first ``min(chargers, vehicles)`` vehicles, vans first, are plugged in.
    now
        The snapshot's time (timezone-aware).
    seed
        Seed of the random readings and bookings.
    stay_h
        Booked cars leave within this long [h]; vans leave on one of the next mornings within it
        (06:00-07:00 local).

    Returns
    -------
    Snapshot
        Transactions started up to 6 h ago, some energy delivered, state of charge reported;
        bookings for every van and for ``CAR_BOOKED_SHARE`` of the cars.
    """
    rng = random.Random(seed)
    timezone = ZoneInfo(site.site.location.timezone)
    vehicles = vehicle_records(site)
    fleet = sorted(vehicles.values(), key=lambda v: v.vehicle_class != "van")
    chargers = sorted(site.charge_points, key=lambda c: c.kind != "AC")
    transactions: list[TransactionRecord] = []
    bookings: dict[str, BookingRecord] = {}
    for index, (vehicle, charger) in enumerate(zip(fleet, chargers, strict=False), start=1):
        started_at = now - timedelta(hours=rng.uniform(0.25, 6.0))
        delivered_kwh = rng.uniform(0.0, 12.0)
        max_kw = connector_max_power_kw(charger, vehicle)
        transactions.append(
            active_transaction(
                index,
                charger.id,
                vehicle,
                started_at,
                METER_START_KWH,
                METER_START_KWH + delivered_kwh,
                max_kw * rng.uniform(0.5, 1.0),
                rng.uniform(20.0, 75.0),
                now,
            )
        )
        if vehicle.vehicle_class == "van":
            mornings = max(0, int(stay_h // 24) - 1)
            departure = _next_local(now, time(6, 0), timezone, rng.randint(0, mornings))
            departure += timedelta(minutes=rng.randint(0, 60))
            bookings[vehicle.id] = booking(
                index, vehicle.id, departure, rng.uniform(40.0, 75.0), VAN_PRIORITY, started_at
            )
        elif rng.random() < CAR_BOOKED_SHARE:
            departure = now + timedelta(hours=rng.uniform(1.0, stay_h))
            bookings[vehicle.id] = booking(
                index, vehicle.id, departure, rng.uniform(5.0, 30.0), CAR_PRIORITY, started_at
            )
    return Snapshot(now=now, transactions=tuple(transactions), vehicles=vehicles, bookings=bookings)
