"""When a plugged vehicle leaves and how much energy it still needs: pure functions of their inputs.

Sources in order of precedence: the fleet manager's booking, what the vehicle said over ISO 15118,
the site's history, class defaults (see ``vehicle_needs``). Energies are battery-side [kWh].
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fleet.charger_inputs import ev_energy_kwh
from fleet.forecast_inputs import forecast_inputs
from fleet.persistence.records import BookingRecord, TransactionRecord, VehicleRecord
from fleet.site_config import SiteConfig
from forecasts import PastSessions, estimate_departure_and_need

# Without a booking, a shared car is assumed to be booked again within a few hours and a van to leave
# on its next morning round; both are conservative guesses that a booking replaces.
CAR_DEFAULT_STAY = timedelta(hours=4)
CAR_DEFAULT_TARGET_SOC = 0.8
VAN_DEFAULT_DEPARTURE = time(6, 0)
VAN_DEFAULT_TARGET_SOC = 1.0
UNKNOWN_VEHICLE_ENERGY_KWH = 20.0
PRIORITY_BY_CLASS = {"van": 3.0, "car": 1.0}
CHARGING_EFFICIENCY = 0.92
"""Battery energy per metered (grid) energy [-]: needs are battery-side, meters count grid-side."""
# A booking made within this long after the plug-in is taken as stated at plug-in time.
BOOKING_AT_PLUG_IN = timedelta(minutes=2)


def _next_local(now: datetime, at: time, timezone: str) -> datetime:
    local_now = now.astimezone(ZoneInfo(timezone))
    candidate = datetime.combine(local_now.date(), at, tzinfo=local_now.tzinfo)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=local_now.tzinfo)
    return candidate.astimezone(now.tzinfo)


def _room_kwh(vehicle: VehicleRecord, tx: TransactionRecord, target_soc: float) -> float | None:
    if tx.last_soc_percent is None:
        return None
    return max(0.0, (target_soc - tx.last_soc_percent / 100.0) * vehicle.battery_kwh)


def booking_energy_kwh(
    booking: BookingRecord, vehicle: VehicleRecord | None, soc_percent: float | None, charged_kwh: float
) -> float:
    """Battery energy [kWh] the booking asks for, a target state of charge turned into energy.

    A target needs (target_soc - soc) * battery_kwh from the last reported state of charge. Without a
    reported state of charge the battery is taken as having arrived empty, less ``charged_kwh``
    (battery side) charged since: a conservative guess that the first report replaces. A target for
    a vehicle the site does not know (no battery) asks for nothing.
    """
    if booking.target_soc is None:
        return booking.energy_needed_kwh or 0.0
    if vehicle is None:
        return 0.0
    if soc_percent is not None:
        return max(0.0, (booking.target_soc - soc_percent / 100.0) * vehicle.battery_kwh)
    return max(0.0, booking.target_soc * vehicle.battery_kwh - charged_kwh)


def _learned_needs(
    now: datetime, site: SiteConfig, tx: TransactionRecord, vehicle: VehicleRecord, past: PastSessions
) -> tuple[datetime, float, float, str]:
    """Departure and need estimated from the site's past sessions.

    Vans must leave full, so they are planned to the early (P10) departure and the large (P90) need;
    cars to the median of both.
    """
    estimate = estimate_departure_and_need(
        past,
        vehicle_id=vehicle.id,
        vehicle_class=vehicle.vehicle_class.value,
        arrived_at=tx.started_at,
        now=now,
        location=forecast_inputs(site).location,
        soc_percent=tx.last_soc_percent,
        battery_kwh=vehicle.battery_kwh,
        delivered_kwh=tx.energy_kwh,
    )
    # Past sessions are metered energies: the battery gets the efficiency's share of them.
    is_van = vehicle.vehicle_class == "van"
    departure = estimate.departure_p10_utc if is_van else estimate.departure_utc
    energy_kwh = CHARGING_EFFICIENCY * (estimate.energy_p90_kwh if is_van else estimate.energy_p50_kwh)
    source = f"forecast from {estimate.source} history ({estimate.n_sessions} sessions)"
    return max(departure, now), max(0.0, energy_kwh), PRIORITY_BY_CLASS.get(vehicle.vehicle_class, 1.0), source


EV_NEEDS_SOURCE = "vehicle (ISO 15118)"


def vehicle_needs(
    now: datetime,
    site: SiteConfig,
    tx: TransactionRecord,
    vehicle: VehicleRecord | None,
    booking: BookingRecord | None,
    past: PastSessions | None,
) -> tuple[datetime, float, float, str]:
    """Departure, energy still needed, priority and where they came from (``past``: the site's
    history, read for this plan).

    Precedence, for departure and energy alike: the fleet manager's booking of the vehicle, then
    what the vehicle itself said over ISO 15118 (``tx.ev_needs``), then the site's history, then
    class defaults. The booking wins because it is the fleet's plan for the vehicle's next trip,
    which the vehicle cannot know (its departure time is whatever its driver or its own default
    set); the vehicle's figures beat estimates, and a figure it did not give comes from the next
    source down.
    """
    if booking is not None and booking.departure_at > tx.started_at - timedelta(hours=1):
        return _booking_needs(tx, vehicle, booking)
    estimated = _estimated_needs(now, site, tx, vehicle, past)
    if tx.ev_needs is None:
        return estimated
    departure, energy_kwh, priority, source = estimated
    ev_departure = tx.ev_needs.departure_at
    ev_energy = ev_energy_kwh(tx, tx.ev_needs, CHARGING_EFFICIENCY)
    if ev_departure is None and ev_energy is None:
        return estimated
    if ev_departure is not None and ev_energy is not None:
        source = EV_NEEDS_SOURCE
    else:
        source = f"{EV_NEEDS_SOURCE} and {source}"
    return (
        departure if ev_departure is None else ev_departure,
        energy_kwh if ev_energy is None else ev_energy,
        priority,
        source,
    )


def _booking_needs(
    tx: TransactionRecord, vehicle: VehicleRecord | None, booking: BookingRecord
) -> tuple[datetime, float, float, str]:
    # Energy charged before the booking was made does not count against it.
    metered_kwh = tx.energy_kwh if booking.created_at <= tx.started_at + BOOKING_AT_PLUG_IN else 0.0
    delivered_kwh = CHARGING_EFFICIENCY * metered_kwh
    energy_kwh = booking_energy_kwh(booking, vehicle, tx.last_soc_percent, CHARGING_EFFICIENCY * tx.energy_kwh)
    if booking.target_soc is None:
        energy_kwh = max(0.0, energy_kwh - delivered_kwh)
    if vehicle is not None:
        room = _room_kwh(vehicle, tx, 1.0)
        energy_kwh = energy_kwh if room is None else min(energy_kwh, room)
    return booking.departure_at, energy_kwh, booking.priority, "booking"


def _estimated_needs(
    now: datetime,
    site: SiteConfig,
    tx: TransactionRecord,
    vehicle: VehicleRecord | None,
    past: PastSessions | None,
) -> tuple[datetime, float, float, str]:
    """Without a booking: from the site's history when given, else class defaults."""
    if vehicle is None:
        energy_kwh = max(0.0, UNKNOWN_VEHICLE_ENERGY_KWH - CHARGING_EFFICIENCY * tx.energy_kwh)
        return tx.started_at + CAR_DEFAULT_STAY, energy_kwh, 1.0, "default"
    if past is not None:
        return _learned_needs(now, site, tx, vehicle, past)
    if vehicle.vehicle_class == "van":
        departure = _next_local(now, VAN_DEFAULT_DEPARTURE, site.site.location.timezone)
        target_soc = VAN_DEFAULT_TARGET_SOC
    else:
        departure = tx.started_at + CAR_DEFAULT_STAY
        target_soc = CAR_DEFAULT_TARGET_SOC
    room = _room_kwh(vehicle, tx, target_soc)
    delivered_kwh = CHARGING_EFFICIENCY * tx.energy_kwh
    energy_kwh = room if room is not None else max(0.0, target_soc * vehicle.battery_kwh * 0.5 - delivered_kwh)
    return departure, energy_kwh, PRIORITY_BY_CLASS.get(vehicle.vehicle_class, 1.0), "default"
