"""A vehicle's ISO 15118 charging needs as OCPP 2.0.1 carries them (NotifyEVChargingNeeds), in the
application's units: kWh, kW, A, UTC.

DC parameters give the vehicle's power directly (evMaxPower, else evMaxCurrent x evMaxVoltage); AC
parameters give a current per phase, which becomes power at the connector's voltage on the phases
the vehicle asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ocpp_server.events import EvChargingNeeds
from ocpp_server.timestamps import parse_utc_timestamp

PHASES_OF_TRANSFER = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}
NOMINAL_VOLTAGE_V = 230.0


def ev_charging_needs(
    charge_point_id: str, evse_id: int, charging_needs: Mapping[str, Any], *, at: datetime, voltage_v: float
) -> EvChargingNeeds:
    """``chargingNeeds`` (snake_case) of NotifyEVChargingNeeds on ``evse_id``, received ``at``.

    Raises
    ------
    InvalidPayloadError
        If the departure time is not a UTC timestamp.
    """
    transfer = str(charging_needs["requested_energy_transfer"])
    departure = charging_needs.get("departure_time")
    common: dict[str, Any] = {
        "charge_point_id": charge_point_id,
        "connector_id": evse_id,
        "requested_energy_transfer": transfer,
        "at": at,
        "departure_at": None if departure is None else parse_utc_timestamp(departure, "departureTime"),
    }
    dc = charging_needs.get("dc_charging_parameters")
    if dc is not None:
        return EvChargingNeeds(
            **common,
            energy_amount_kwh=_kilo(dc.get("energy_amount")),
            max_power_kw=_kilo(dc.get("ev_max_power"))
            or _kilo(_product(dc.get("ev_max_current"), dc.get("ev_max_voltage"))),
            max_current_a=dc.get("ev_max_current"),
            max_voltage_v=dc.get("ev_max_voltage"),
            soc_percent=dc.get("state_of_charge"),
            capacity_kwh=_kilo(dc.get("ev_energy_capacity")),
            full_soc_percent=dc.get("full_soc"),
        )
    ac = charging_needs.get("ac_charging_parameters") or {}
    phases = PHASES_OF_TRANSFER.get(transfer, 3)
    max_current_a = ac.get("ev_max_current")
    return EvChargingNeeds(
        **common,
        energy_amount_kwh=_kilo(ac.get("energy_amount")),
        max_power_kw=None if max_current_a is None else max_current_a * voltage_v * phases / 1000,
        min_current_a=ac.get("ev_min_current"),
        max_current_a=max_current_a,
        max_voltage_v=ac.get("ev_max_voltage"),
    )


def _kilo(value: float | None) -> float | None:
    return None if value is None else float(value) / 1000


def _product(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else float(first) * float(second)
