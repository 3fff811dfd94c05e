"""State -> ChargingProblem: pure functions of their inputs, ``now`` included.

Two steps: ``plugged_vehicles`` works out, for every active transaction, which vehicle it is, when it
leaves and how much energy it still needs (from the fleet manager's booking, else what the vehicle
said over ISO 15118, else the site's history or class defaults) and how much power it may take (the
charger's, the vehicle's and any limit set on the charger by someone else); ``build_problem`` lays
that on the forecast's slot grid.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.charger_inputs import connector_limit_kw, share_limit_kw, station_limit_kw
from fleet.clock import interval_start
from fleet.forecast_inputs import forecast_inputs
from fleet.persistence.records import (
    BookingRecord,
    ExternalLimitRecord,
    SiteSampleRecord,
    TransactionRecord,
    VehicleRecord,
)
from fleet.site_config import ChargePointConfig, SiteConfig
from fleet.site_forecast import SiteForecast
from fleet.site_history import MEASUREMENT_STEP, SiteHistory
from fleet.vehicle_needs import CHARGING_EFFICIENCY, PRIORITY_BY_CLASS, vehicle_needs
from fleet.yard import WaitingEntry
from forecasts import past_sessions
from optimizer import ChargingProblem, FreeConnector, VehicleRequest, WaitingVehicle


@dataclass(frozen=True, slots=True)
class PluggedVehicle:
    transaction_id: int
    charge_point_id: str
    connector_id: int
    vehicle_id: str | None
    max_power_kw: float
    departure_utc: datetime
    energy_needed_kwh: float
    priority: float
    needs_source: str
    """Where departure and energy came from, shown to operators: 'booking', 'vehicle (ISO 15118)',
    'default' or a forecast, or the vehicle's and another's when it stated only one of them."""
    min_power_kw: float = 0.0
    """The lowest power the charger can hold when it charges (its minimum current) [kW]."""
    power_step_kw: float = 0.0
    battery_kwh: float | None = None
    soc_percent: float | None = None
    vehicle_max_power_kw: float | None = None
    """The vehicle's own maximum on this kind of charger (AC or DC) [kW], when known: what its
    battery's taper scales with, whatever the charger's rating."""

    @property
    def connector_key(self) -> str:
        return f"{self.charge_point_id}/{self.connector_id}"

    @property
    def plan_key(self) -> str:
        return self.vehicle_id or f"tx-{self.transaction_id}"


def vehicle_max_power_kw(charger: ChargePointConfig, vehicle: VehicleRecord) -> float:
    """The vehicle's maximum on this kind of charger [kW]: ``max_dc_kw`` on DC, ``max_ac_kw`` on AC."""
    return vehicle.max_dc_kw if charger.kind == "DC" else vehicle.max_ac_kw


def connector_max_power_kw(charger: ChargePointConfig, vehicle: VehicleRecord | None) -> float:
    if vehicle is None:
        return charger.max_power_kw
    return min(charger.max_power_kw, vehicle_max_power_kw(charger, vehicle))


def plugged_vehicles(
    now: datetime,
    site: SiteConfig,
    transactions: Sequence[TransactionRecord],
    vehicles: Mapping[str, VehicleRecord],
    bookings: Mapping[str, BookingRecord],
    history: SiteHistory | None = None,
    external_limits: Sequence[ExternalLimitRecord] = (),
) -> list[PluggedVehicle]:
    """Every active transaction on a configured charger, with what its vehicle needs.

    Needs come from the fleet manager's booking; without one, from what the vehicle said over ISO
    15118, then from the site's history when given, else from class defaults (see ``fleet.vehicle_needs``). The
    maximum power is the lowest of the charger's, the vehicle's (its record's and what it said over
    ISO 15118) and the limits someone else set on the connector (``external_limits``); a limit on
    the whole station is shared by its charging connectors (``fleet.charger_inputs.share_limit_kw``).
    """
    plugged = []
    # Read once for every vehicle: per vehicle it was most of a plan's time at a few hundred.
    past = None if history is None else past_sessions(history.sessions, now, forecast_inputs(site).location)
    for tx in transactions:
        charger = site.charge_point(tx.charge_point_id)
        if charger is None or not tx.is_active:
            continue
        vehicle = vehicles.get(tx.vehicle_id) if tx.vehicle_id else None
        booking = bookings.get(vehicle.id) if vehicle else None
        departure, energy_kwh, priority, source = vehicle_needs(now, site, tx, vehicle, booking, past)
        own_max_kw = vehicle_max_power_kw(charger, vehicle) if vehicle else None
        ev_max_kw = tx.ev_needs.max_power_kw if tx.ev_needs is not None else None
        if ev_max_kw is not None:
            own_max_kw = ev_max_kw if own_max_kw is None else min(own_max_kw, ev_max_kw)
        max_power_kw = min(
            connector_max_power_kw(charger, vehicle),
            math.inf if ev_max_kw is None else ev_max_kw,
            connector_limit_kw(external_limits, tx.charge_point_id, tx.connector_id),
        )
        plugged.append(
            PluggedVehicle(
                transaction_id=tx.id,
                charge_point_id=tx.charge_point_id,
                connector_id=tx.connector_id,
                vehicle_id=vehicle.id if vehicle else None,
                max_power_kw=max_power_kw,
                departure_utc=departure,
                energy_needed_kwh=energy_kwh,
                priority=priority,
                needs_source=source,
                min_power_kw=connector_min_power_kw(charger),
                power_step_kw=connector_power_step_kw(charger),
                battery_kwh=vehicle.battery_kwh if vehicle else None,
                soc_percent=tx.last_soc_percent,
                vehicle_max_power_kw=own_max_kw,
            )
        )
    return _within_station_limits(plugged, external_limits)


def _within_station_limits(
    plugged: list[PluggedVehicle], external_limits: Sequence[ExternalLimitRecord]
) -> list[PluggedVehicle]:
    """``plugged`` with each station-wide limit shared by that station's connectors."""
    for charge_point_id in {limit.charge_point_id for limit in external_limits}:
        limit_kw = station_limit_kw(external_limits, charge_point_id)
        at_station = [index for index, p in enumerate(plugged) if p.charge_point_id == charge_point_id]
        if math.isinf(limit_kw) or not at_station:
            continue
        shares_kw = share_limit_kw(limit_kw, [plugged[index].max_power_kw for index in at_station])
        for index, share_kw in zip(at_station, shares_kw, strict=True):
            plugged[index] = dataclasses.replace(plugged[index], max_power_kw=share_kw)
    return plugged


def connector_min_power_kw(charger: ChargePointConfig) -> float:
    if charger.rate_unit == "A":
        return charger.min_current_a * charger.voltage_v * charger.phases / 1000.0
    return 0.0


def connector_power_step_kw(charger: ChargePointConfig) -> float:
    # Limits in amps are set in 0.1 A steps; in watts the step is negligible.
    return 0.1 * charger.voltage_v * charger.phases / 1000.0 if charger.rate_unit == "A" else 0.0


def generic_taper(max_power_kw: float) -> tuple[tuple[float, float], ...]:
    """A constant-current / constant-voltage battery: full power to 80 %, then down to a tenth at 100 %.

    Vehicles do not report their curve; this common shape keeps the plan from counting on full
    power into a nearly full battery. Where it falls below the charger's minimum current the
    optimiser's repair offers the charger its minimum and counts what the vehicle accepts.
    ``max_power_kw`` is the vehicle's own maximum on the kind of charger: the curve belongs to the
    battery, so a vehicle rated above its charger keeps the charger's full power past 80 % (the
    optimiser caps the curve at the connector's ``max_power_kw``).
    """
    return ((0.0, max_power_kw), (0.8, max_power_kw), (1.0, 0.1 * max_power_kw))


def horizon_h(now: datetime, site: SiteConfig, plugged: Sequence[PluggedVehicle]) -> float:
    """The configured horizon, stretched to the last known departure (at most 72 h)."""
    last_departure_h = max(((p.departure_utc - now).total_seconds() / 3600.0 for p in plugged), default=0.0)
    return min(72.0, max(site.planning.horizon_h, last_departure_h))


def idle_connector_reserve_kw(site: SiteConfig, plugged: Sequence[PluggedVehicle]) -> float:
    """Capacity kept for connectors without a planned transaction.

    A vehicle that plugs in draws the fail-safe limit until the next plan reaches its charger, so the
    plan leaves that much room for every idle connector: the limits installed on the chargers then
    never sum above the grid limit, even between two plans.
    """
    busy = {p.connector_key for p in plugged}
    idle = site.connector_count - len(busy)
    return max(0, idle) * site.planning.failsafe_limit_kw


def _available_h(slot_starts: Sequence[datetime], slot_h: Sequence[float], until: datetime) -> tuple[float, ...]:
    return _window_h(slot_starts, slot_h, slot_starts[0], until)


@dataclass(frozen=True, slots=True)
class ExpectedArrivals:
    """Vehicles of one class expected to plug in during one hour: capacity the plan keeps for them."""

    vehicle_class: str
    arrive_utc: datetime
    vehicles: float
    """Expected number of arrivals in the hour (a mean, so fractional)."""
    energy_per_vehicle_kwh: float
    stay_h: float


EXPECTED_PRIORITY_SHARE = 0.5
"""An expected vehicle may not come: its unmet energy weighs half a plugged one's."""
MIN_EXPECTED_VEHICLES = 0.2
"""Fewer expected arrivals in an hour than this are not worth a variable."""


def expected_requests(
    site: SiteConfig,
    forecast: SiteForecast,
    expected: Sequence[ExpectedArrivals],
    plugged: Sequence[PluggedVehicle] = (),
) -> list[VehicleRequest]:
    """One request per class and hour of expected arrivals, sized by their number.

    A stay that reaches past the horizon asks only for the share of its energy that falls inside
    it, as if charged evenly over the stay: asking for all of it in the horizon's last hours would
    make the plan raise the month's peak there for energy the vehicles have the next day to take.

    Expected vehicles charge only on the connectors that ``plugged`` vehicles leave free: in each
    slot, the vehicles expected to be here share those connectors (``free_connector_share``). A hub
    with fewer connectors than vehicles (125 bays, 60 connectors) would otherwise plan the evening's
    returns as if each had a connector, and keep capacity for energy that queues until the morning.
    """
    charger_kw = {
        cls: statistics.median(min(22.0, v.max_ac_kw) for v in site.vehicles if v.vehicle_class == cls)
        for cls in {v.vehicle_class for v in site.vehicles}
    }
    share = free_connector_share(site, forecast, expected, plugged)
    requests = []
    for arrivals in expected:
        if arrivals.vehicles < MIN_EXPECTED_VEHICLES or arrivals.vehicle_class not in charger_kw:
            continue
        stay = (arrivals.arrive_utc, arrivals.arrive_utc + timedelta(hours=arrivals.stay_h))
        inside = _window_h(forecast.slot_starts, forecast.slot_duration_h, *stay)
        inside_h = sum(inside)
        if inside_h == 0:
            continue
        stay_share = min(1.0, inside_h / arrivals.stay_h) if arrivals.stay_h > 0 else 1.0
        # The hours each slot lets the whole group charge: fewer where connectors are short.
        available = tuple(hours * free for hours, free in zip(inside, share, strict=True))
        if sum(available) == 0:
            continue
        requests.append(
            VehicleRequest(
                vehicle_id=f"expected-{arrivals.vehicle_class}-{arrivals.arrive_utc:%Y%m%dT%H%M}",
                connector_key="",
                max_power_kw=arrivals.vehicles * charger_kw[arrivals.vehicle_class],
                energy_needed_kwh=arrivals.vehicles * arrivals.energy_per_vehicle_kwh * stay_share,
                available_h=available,
                priority=EXPECTED_PRIORITY_SHARE * PRIORITY_BY_CLASS.get(arrivals.vehicle_class, 1.0),
                expected=True,
            )
        )
    return requests


def free_connector_share(
    site: SiteConfig,
    forecast: SiteForecast,
    expected: Sequence[ExpectedArrivals],
    plugged: Sequence[PluggedVehicle],
) -> tuple[float, ...]:
    """Per slot, the share of the expected vehicles then at the hub that find a free connector.

    A connector is taken in a slot when a plugged vehicle stays past the slot's middle; the expected
    vehicles there at that moment (arrived, their typical stay not over) share the rest equally.
    """
    connectors = sum(c.connectors for c in site.charge_points)
    # A vehicle past its announced departure is still plugged in now (build_problem plans it for
    # the current slot): it holds its connector at least until the first slot ends.
    first_slot_end = forecast.slot_starts[0] + timedelta(hours=forecast.slot_duration_h[0])
    leaving = [max(p.departure_utc, first_slot_end) for p in plugged]
    shares = []
    for start, duration_h in zip(forecast.slot_starts, forecast.slot_duration_h, strict=True):
        middle = start + timedelta(hours=duration_h / 2.0)
        taken = sum(1 for leaves in leaving if leaves > middle)
        here = sum(a.vehicles for a in expected if a.arrive_utc <= middle < a.arrive_utc + timedelta(hours=a.stay_h))
        free = max(0, connectors - taken)
        shares.append(1.0 if here <= free else free / here)
    return tuple(shares)


def _window_h(
    slot_starts: Sequence[datetime], slot_h: Sequence[float], start: datetime, end: datetime
) -> tuple[float, ...]:
    """Hours of each slot inside [start, end)."""
    hours = []
    for slot_start, duration_h in zip(slot_starts, slot_h, strict=True):
        slot_end = slot_start + timedelta(hours=duration_h)
        overlap_s = (min(slot_end, end) - max(slot_start, start)).total_seconds()
        hours.append(min(duration_h, max(0.0, overlap_s / 3600.0)))
    return tuple(hours)


def peak_margin_kw(forecast: SiteForecast, base_load_margin_pct: float) -> tuple[float, ...]:
    """How far each slot's import may turn out above its forecast [kW]: expected PV above its P10
    (clouds), plus ``base_load_margin_pct`` of the forecast base load. The capacity charge is billed
    on the measured peak, so the plan keeps this much below the month's peak so far: a plan riding
    at the peak raises it with every cloud and every kW of load above the forecast.

    A slot longer than the planning grid's own (``planning.fine_horizon_h``) is priced on its mean
    like any other: re-plans see it in fine slots before it runs and shape the charging within it.
    A margin for its busiest quarter hour would raise the peak the plan allows itself now (measured:
    docs/benchmarks/milan-week.md)."""
    base_share = base_load_margin_pct / 100.0
    return tuple(
        max(0.0, pv - low) + base_share * max(0.0, base)
        for pv, low, base in zip(forecast.pv_kw, forecast.pv_p10_kw, forecast.base_load_kw, strict=True)
    )


CAPACITY_INTERVAL_H = MEASUREMENT_STEP / timedelta(hours=1)
"""The capacity charge is billed on the highest quarter-hour mean of grid import [h]."""


@dataclass(frozen=True, slots=True)
class ImportSoFar:
    """The site's grid import in the capacity charge's quarter hour now running, before now."""

    elapsed_h: float
    """From the quarter hour's start to now [h]."""
    mean_import_kw: float
    """Mean grid import over that time [kW]."""


def import_so_far(samples: Sequence[SiteSampleRecord], now: datetime) -> ImportSoFar | None:
    """The quarter hour now running, from the site's samples of grid import: its mean from the
    quarter hour's start to ``now``, each reading held until the next one (the last reading before
    the start holds until the first one in it); None at a boundary or without a reading in it.

    Weighted by time, not a plain mean of the readings: a meter that reads more often at some
    moments (on a change, after a reconnect) would otherwise weigh those moments more.
    """
    start = interval_start(now, MEASUREMENT_STEP)
    readings = sorted(
        (s.measured_at, s.grid_import_kw) for s in samples if s.grid_import_kw is not None and s.measured_at < now
    )
    inside = [(at, kw) for at, kw in readings if at >= start]
    if now == start or not inside:
        return None
    before = [kw for at, kw in readings if at < start]
    held = [(start, before[-1] if before else inside[0][1]), *inside]
    ends = [at for at, _ in held[1:]] + [now]
    energy_kws = sum(kw * (end - at).total_seconds() for (at, kw), end in zip(held, ends, strict=True))
    elapsed_s = (now - start).total_seconds()
    return ImportSoFar(elapsed_h=elapsed_s / 3600.0, mean_import_kw=energy_kws / elapsed_s)


def quarter_hour_peak_terms(
    forecast: SiteForecast, margins_kw: tuple[float, ...], peak_so_far_kw: float, so_far: ImportSoFar | None
) -> tuple[float, tuple[float, ...]]:
    """The month's peak so far and the slots' peak margins, with the quarter hour now running counted.

    A plan made part way through a quarter hour has only the rest of it in its first slots (one
    15-minute slot, or up to three 5-minute ones), but the capacity charge is billed on the whole
    quarter hour's mean: the minutes already gone count. With ``h_e`` of them at mean import ``a``
    and ``h_r`` left in the slots ``t`` up to the quarter hour's end, the quarter hour's mean stays
    within the peak ``P`` when every such slot keeps ``x_t + m_t + h_e / h_r * (a - P) <= P``
    (weighted by ``h_t`` and summed, that is the mean). Each of those slots' margins so grows by
    ``h_e / h_r * (a - P_so_far)``: exact while the plan keeps the peak where it is, on the safe side
    when it raises it. The peak so far becomes at least what the quarter hour reaches with no
    charging at all (its mean with those slots at base load minus PV, plus their margins), which it
    reaches anyway: the rise to it is no longer the plan's to weigh.
    Returned unchanged when no quarter hour is running or no slot boundary meets its end.
    """
    if so_far is None or not 0.0 < so_far.elapsed_h < CAPACITY_INTERVAL_H:
        return peak_so_far_kw, margins_kw
    rest_h = CAPACITY_INTERVAL_H - so_far.elapsed_h
    ends_h = itertools.accumulate(forecast.slot_duration_h)
    count, end_h = next(((k + 1, end_h) for k, end_h in enumerate(ends_h) if end_h >= rest_h - 1e-6), (0, 0.0))
    if count == 0 or end_h - rest_h > 1e-6:
        return peak_so_far_kw, margins_kw
    elapsed_h, mean_kw = so_far.elapsed_h, so_far.mean_import_kw
    idle_kwh = sum(
        h * (base - pv + m)
        for h, base, pv, m in zip(
            forecast.slot_duration_h[:count], forecast.base_load_kw, forecast.pv_kw, margins_kw, strict=False
        )
    )
    peak_kw = max(peak_so_far_kw, (elapsed_h * mean_kw + idle_kwh) / CAPACITY_INTERVAL_H)
    extra_kw = elapsed_h / rest_h * (mean_kw - peak_kw)
    return peak_kw, tuple(m + extra_kw if t < count else m for t, m in enumerate(margins_kw))


def build_problem(
    site: SiteConfig,
    forecast: SiteForecast,
    plugged: Sequence[PluggedVehicle],
    expected: Sequence[ExpectedArrivals] = (),
    peak_import_so_far_kw: float = 0.0,
    waiting: Sequence[WaitingEntry] = (),
    temporary_caps_kw: Sequence[float] | None = None,
    import_so_far: ImportSoFar | None = None,
) -> ChargingProblem:
    """The ChargingProblem for the plugged vehicles over the forecast's slots.

    ``temporary_caps_kw`` holds a grid operator's temporary import limit per slot (``inf`` where none
    applies): the plan keeps under the lower of it and the connection's limit less the fail-safe room.
    """
    connection_kw = site.site.grid.import_limit_kw - idle_connector_reserve_kw(site, plugged)
    caps_kw = temporary_caps_kw or (connection_kw,) * len(forecast.slot_starts)
    # A long slot's row holds its mean base load: the limit is kept in its part with the highest.
    limits_kw = tuple(
        max(0.0, min(connection_kw, cap) - site.planning.grid_margin_kw - max(0.0, peak - base))
        for cap, peak, base in zip(caps_kw, forecast.base_load_peak_kw, forecast.base_load_kw, strict=True)
    )
    first_slot_end = forecast.slot_starts[0] + timedelta(hours=forecast.slot_duration_h[0])
    requests = []
    for p in plugged:
        # A vehicle past its announced departure is still here: plan it for the current slot only.
        # One leaving within the current slot is planned until it leaves, not to the slot's end.
        until = p.departure_utc if p.departure_utc > forecast.slot_starts[0] else first_slot_end
        soc = None if p.soc_percent is None or p.battery_kwh is None else min(1.0, max(0.0, p.soc_percent / 100))
        requests.append(
            VehicleRequest(
                vehicle_id=p.plan_key,
                connector_key=p.connector_key,
                max_power_kw=p.max_power_kw,
                energy_needed_kwh=p.energy_needed_kwh,
                available_h=_available_h(forecast.slot_starts, forecast.slot_duration_h, until),
                priority=p.priority,
                efficiency=CHARGING_EFFICIENCY,
                min_power_kw=min(p.min_power_kw, p.max_power_kw),
                power_step_kw=p.power_step_kw,
                battery_kwh=p.battery_kwh if soc is not None else None,
                initial_soc=soc,
                taper=generic_taper(p.vehicle_max_power_kw or p.max_power_kw) if soc is not None else (),
            )
        )
    requests.extend(expected_requests(site, forecast, expected, plugged))
    peak_kw, margins_kw = quarter_hour_peak_terms(
        forecast,
        peak_margin_kw(forecast, site.planning.base_load_peak_margin_pct),
        peak_import_so_far_kw,
        import_so_far,
    )
    return ChargingProblem(
        slot_starts_utc=forecast.slot_starts,
        slot_duration_h=forecast.slot_duration_h,
        grid_import_limit_kw=limits_kw,
        base_load_kw=forecast.base_load_kw,
        pv_kw=forecast.pv_kw,
        pv_firm_kw=forecast.pv_firm_kw,
        import_price_eur_per_kwh=forecast.import_price_eur_per_kwh,
        export_price_eur_per_kwh=forecast.export_price_eur_per_kwh,
        vehicles=tuple(requests),
        unmet_energy_penalty_eur_per_kwh=site.planning.unmet_energy_penalty_eur_per_kwh,
        capacity_charge_eur_per_kw=site.site.tariff.capacity_charge_eur_per_kw_month,
        peak_import_so_far_kw=peak_kw,
        peak_margin_kw=margins_kw,
        fairness_weight_eur=site.planning.fairness_weight_eur,
        power_change_weight_eur_per_kw=site.planning.power_change_weight_eur_per_kw,
        completion_weight_kwh=site.planning.completion_weight_kwh,
        waiting_vehicles=waiting_vehicles(site, waiting),
        free_connectors=free_connectors(site, plugged) if waiting else (),
    )


def waiting_vehicles(site: SiteConfig, waiting: Sequence[WaitingEntry]) -> tuple[WaitingVehicle, ...]:
    known = {v.id: v for v in site.vehicles}
    return tuple(
        WaitingVehicle(
            vehicle_id=entry.vehicle_id,
            vehicle_class=known[entry.vehicle_id].vehicle_class if entry.vehicle_id in known else "car",
            energy_needed_kwh=entry.energy_needed_kwh,
            departure_utc=entry.departure_utc,
            priority=entry.priority,
            max_ac_power_kw=known[entry.vehicle_id].max_ac_kw if entry.vehicle_id in known else None,
            max_dc_power_kw=known[entry.vehicle_id].max_dc_kw if entry.vehicle_id in known else None,
        )
        for entry in waiting
    )


def free_connectors(site: SiteConfig, plugged: Sequence[PluggedVehicle]) -> tuple[FreeConnector, ...]:
    """Connectors with no planned transaction: where a waiting vehicle could go."""
    busy = {p.connector_key for p in plugged}
    return tuple(
        FreeConnector(connector_key=f"{c.id}/{n}", max_power_kw=c.max_power_kw, kind=c.kind)
        for c in site.charge_points
        for n in range(1, c.connectors + 1)
        if f"{c.id}/{n}" not in busy
    )
