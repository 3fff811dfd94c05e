"""Planning with what OCPP 2.0.1 chargers report: a vehicle's ISO 15118 needs and limits set by others.

Precedence for departure and energy: the fleet manager's booking, then the vehicle's own figures,
then history or class defaults; the vehicle's stated maximum power and any standing limit cap the
connector whatever the booking says.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fleet.charger_inputs import share_limit_kw
from fleet.persistence.records import EvNeedsRecord, ExternalLimitRecord, TransactionRecord
from fleet.planning import build_problem, plugged_vehicles
from fleet.site_config import SiteConfig, load_site
from fleet.site_forecast import fallback_forecast
from tests.fleet.builders import T0, booking, transaction, vehicle

SITE = load_site()


def needs(
    energy_kwh: float | None = 30.0,
    departure_at: datetime | None = T0 + timedelta(hours=5),
    max_power_kw: float | None = None,
    register_kwh: float = 100.0,
) -> EvNeedsRecord:
    return EvNeedsRecord(
        reported_at=T0,
        requested_energy_transfer="AC_three_phase",
        departure_at=departure_at,
        energy_amount_kwh=energy_kwh,
        max_power_kw=max_power_kw,
        min_current_a=None,
        max_current_a=None,
        max_voltage_v=None,
        soc_percent=40.0,
        capacity_kwh=60.0,
        full_soc_percent=None,
        register_at_report_kwh=register_kwh,
    )


def with_needs(tx: TransactionRecord, ev: EvNeedsRecord) -> TransactionRecord:
    return replace(tx, ev_needs=ev)


def limit(charge_point_id: str, connector_id: int, limit_kw: float, source: str = "EMS") -> ExternalLimitRecord:
    return ExternalLimitRecord(charge_point_id, connector_id, source, limit_kw, False, T0)


def test_an_unknown_vehicle_is_planned_to_its_own_departure_and_energy() -> None:
    tx = with_needs(transaction(vehicle_id=None), needs())

    [p] = plugged_vehicles(T0, SITE, [tx], {}, {})

    assert (p.departure_utc, p.energy_needed_kwh) == (T0 + timedelta(hours=5), 30.0)
    assert p.needs_source == "vehicle (ISO 15118)"


def test_energy_metered_since_the_vehicle_asked_counts_against_it() -> None:
    # Asked at register 100 kWh; the meter now reads 110 kWh, 92 % of which reached the battery.
    tx = with_needs(transaction(vehicle_id=None, energy_kwh=10.0), needs(register_kwh=100.0))

    [p] = plugged_vehicles(T0, SITE, [tx], {}, {})

    assert p.energy_needed_kwh == pytest.approx(30.0 - 9.2)


def test_a_known_vehicle_without_a_booking_takes_its_own_figures_over_class_defaults() -> None:
    tx = with_needs(transaction(), needs(energy_kwh=12.0))

    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle()}, {})

    # The class default would be 06:00 tomorrow and half a van battery.
    assert (p.departure_utc, p.energy_needed_kwh) == (T0 + timedelta(hours=5), 12.0)
    assert p.priority == 3.0  # still a van's


def test_the_fleet_managers_booking_wins_over_the_vehicles_figures() -> None:
    tx = with_needs(transaction(), needs(energy_kwh=12.0, departure_at=T0 + timedelta(hours=2)))
    b = booking("VAN-01", T0 + timedelta(hours=8), 50.0)

    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle()}, {"VAN-01": b})

    assert (p.departure_utc, p.energy_needed_kwh, p.needs_source) == (T0 + timedelta(hours=8), 50.0, "booking")


def test_a_figure_the_vehicle_did_not_give_comes_from_the_defaults() -> None:
    tx = with_needs(transaction(vehicle_id=None), needs(energy_kwh=None))

    [p] = plugged_vehicles(T0, SITE, [tx], {}, {})

    # An unknown vehicle's default need is 20 kWh.
    assert (p.departure_utc, p.energy_needed_kwh) == (T0 + timedelta(hours=5), 20.0)
    assert p.needs_source == "vehicle (ISO 15118) and default"


def test_the_vehicles_maximum_power_caps_it_even_with_a_booking() -> None:
    tx = with_needs(transaction(charge_point_id="MI-DC-02"), needs(max_power_kw=35.0))
    b = booking("VAN-01", T0 + timedelta(hours=8), 50.0)

    [p] = plugged_vehicles(T0, SITE, [tx], {"VAN-01": vehicle()}, {"VAN-01": b})

    # The van's record says 50 kW on DC, the charger 50 kW: the vehicle's own 35 kW is lower.
    assert (p.max_power_kw, p.vehicle_max_power_kw) == (35.0, 35.0)
    problem = build_problem(SITE, fallback_forecast(SITE, T0, 24), [p])
    assert problem.vehicles[0].max_power_kw == 35.0


def test_a_limit_on_the_connector_caps_it_and_clearing_it_lifts_the_cap() -> None:
    tx = transaction(charge_point_id="MI-DC-02", vehicle_id=None)

    [limited] = plugged_vehicles(T0, SITE, [tx], {}, {}, external_limits=[limit("MI-DC-02", 1, 20.0)])
    [cleared] = plugged_vehicles(T0, SITE, [tx], {}, {}, external_limits=[])

    assert limited.max_power_kw == 20.0
    assert cleared.max_power_kw == 50.0
    problem = build_problem(SITE, fallback_forecast(SITE, T0, 24), [limited])
    assert problem.vehicles[0].max_power_kw == 20.0


def test_the_lowest_of_several_limits_applies_and_other_chargers_are_untouched() -> None:
    txs = [
        transaction(1, charge_point_id="MI-DC-02", vehicle_id=None),
        transaction(2, charge_point_id="MI-DC-03", vehicle_id=None),
    ]
    limits = [limit("MI-DC-02", 1, 30.0, "EMS"), limit("MI-DC-02", 0, 25.0, "SO"), limit("MI-DC-02", 1, 40.0, "CSO")]

    first, second = plugged_vehicles(T0, SITE, txs, {}, {}, external_limits=limits)

    assert (first.max_power_kw, second.max_power_kw) == (25.0, 50.0)


def _two_connector_site() -> SiteConfig:
    """The Milan site with MI-AC-01 given two connectors (and MI-AC-02 removed, to keep 60)."""
    document = SITE.model_dump()
    charge_points = [c for c in document["charge_points"] if c["id"] != "MI-AC-02"]
    for charger in charge_points:
        if charger["id"] == "MI-AC-01":
            charger["connectors"] = 2
    return SiteConfig.model_validate({**document, "charge_points": charge_points})


def test_a_station_wide_limit_is_shared_by_its_charging_connectors() -> None:
    site = _two_connector_site()
    van = transaction(1, charge_point_id="MI-AC-01")  # the van takes at most 11 kW on AC
    unknown = replace(transaction(2, charge_point_id="MI-AC-01", vehicle_id=None), connector_id=2)

    first, second = plugged_vehicles(
        T0, site, [van, unknown], {"VAN-01": vehicle()}, {}, external_limits=[limit("MI-AC-01", 0, 16.0)]
    )

    # An equal share would be 8 kW each; the van can take it, so the other gets the remaining 8 kW.
    assert (first.max_power_kw, second.max_power_kw) == (8.0, 8.0)
    [alone] = plugged_vehicles(T0, site, [unknown], {}, {}, external_limits=[limit("MI-AC-01", 0, 16.0)])
    assert alone.max_power_kw == 16.0


def test_a_share_a_connector_cannot_use_goes_to_the_others() -> None:
    assert share_limit_kw(16.0, [3.7, 22.0]) == [3.7, pytest.approx(12.3)]
    assert share_limit_kw(16.0, [22.0, 22.0]) == [8.0, 8.0]
    assert share_limit_kw(100.0, [11.0, 22.0]) == [11.0, 22.0]
    assert share_limit_kw(0.0, [11.0]) == [0.0]
