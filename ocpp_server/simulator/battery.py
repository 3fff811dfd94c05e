"""Simulated vehicles and their traction batteries.

Power is always counted at the grid side (what the charger meters). Of that, a fixed share
``CHARGING_EFFICIENCY`` reaches the battery: 0.92 stands for the on-board charger (AC) or the
rectifier and cable (DC) plus battery heating, a typical grid-to-battery figure for current EVs.

Charging power follows a constant-current / constant-voltage approximation: up to
``TAPER_START_SOC`` the vehicle accepts its full rated power (constant current); above it the
accepted power falls linearly to ``TAPER_END_FRACTION`` of the rated power as the battery
approaches full (constant voltage), and a full battery accepts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VehicleClass = Literal["car", "van"]
ChargerKind = Literal["AC", "DC"]

CHARGING_EFFICIENCY = 0.92
"""Share of the metered grid energy stored in the battery [-]."""
TAPER_START_SOC = 0.8
"""State of charge above which the accepted power tapers [-]."""
TAPER_END_FRACTION = 0.1
"""Accepted power just below full, as a share of the rated power [-]."""
_FULL_TOLERANCE_KWH = 1e-6


@dataclass(frozen=True, slots=True)
class SimVehicleSpec:
    """A simulated vehicle.

    Attributes
    ----------
    vehicle_id
        Fleet identifier of the vehicle.
    id_tag
        The OCPP idTag the vehicle presents at a charger (its RFID card or contract id).
    vehicle_class
        ``"car"`` (car sharing) or ``"van"`` (e-logistics).
    battery_kwh
        Usable battery capacity [kWh].
    max_ac_kw
        Maximum AC charging power at the grid side [kW].
    max_dc_kw
        Maximum DC charging power at the grid side [kW].
    initial_soc
        State of charge when the simulation starts [-], in [0, 1].
    """

    vehicle_id: str
    id_tag: str
    vehicle_class: VehicleClass
    battery_kwh: float
    max_ac_kw: float
    max_dc_kw: float
    initial_soc: float

    def __post_init__(self) -> None:
        if not self.vehicle_id:
            raise ValueError("vehicle_id must not be empty")
        if not 1 <= len(self.id_tag) <= 20:
            raise ValueError(f"id_tag of {self.vehicle_id} must have 1-20 characters (OCPP idToken)")
        if self.vehicle_class not in ("car", "van"):
            raise ValueError(f"vehicle_class of {self.vehicle_id} must be 'car' or 'van'")
        if not self.battery_kwh > 0:
            raise ValueError(f"battery_kwh of {self.vehicle_id} must be > 0, got {self.battery_kwh}")
        if self.max_ac_kw < 0 or self.max_dc_kw < 0:
            raise ValueError(f"max_ac_kw and max_dc_kw of {self.vehicle_id} must be >= 0")
        if not 0 <= self.initial_soc <= 1:
            raise ValueError(f"initial_soc of {self.vehicle_id} must be in [0, 1], got {self.initial_soc}")

    def rated_power_kw(self, kind: ChargerKind) -> float:
        """The vehicle's maximum charging power on an AC or DC charger [kW]."""
        return self.max_ac_kw if kind == "AC" else self.max_dc_kw


def tapered_power_kw(rated_power_kw: float, soc: float) -> float:
    """Charging power a battery accepts at a state of charge (CC/CV approximation).

    Parameters
    ----------
    rated_power_kw
        Power accepted in the constant-current phase [kW].
    soc
        State of charge [-], in [0, 1].

    Returns
    -------
    float
        ``rated_power_kw`` up to ``TAPER_START_SOC``, then falling linearly to
        ``TAPER_END_FRACTION * rated_power_kw`` at ``soc = 1`` [kW]. Whether the battery is
        already full is for the caller to decide (see :meth:`VehicleBattery.max_charge_power_kw`).
    """
    if not 0 <= soc <= 1:
        raise ValueError(f"soc must be in [0, 1], got {soc}")
    if soc <= TAPER_START_SOC:
        return rated_power_kw
    progress = (soc - TAPER_START_SOC) / (1 - TAPER_START_SOC)
    return rated_power_kw * (1 - progress * (1 - TAPER_END_FRACTION))


class VehicleBattery:
    """The battery of one vehicle: its state changes only through :meth:`charge` and :meth:`drive`."""

    def __init__(self, spec: SimVehicleSpec) -> None:
        self._spec = spec
        self._stored_kwh = spec.initial_soc * spec.battery_kwh

    @property
    def spec(self) -> SimVehicleSpec:
        return self._spec

    @property
    def stored_kwh(self) -> float:
        """Energy in the battery [kWh]."""
        return self._stored_kwh

    @property
    def soc(self) -> float:
        """State of charge [-], in [0, 1]."""
        return self._stored_kwh / self._spec.battery_kwh

    @property
    def is_full(self) -> bool:
        return self._spec.battery_kwh - self._stored_kwh <= _FULL_TOLERANCE_KWH

    def max_charge_power_kw(self, kind: ChargerKind) -> float:
        """Grid-side power the vehicle accepts now on an AC or DC charger [kW]; 0 when full."""
        if self.is_full:
            return 0.0
        return tapered_power_kw(self._spec.rated_power_kw(kind), self.soc)

    def charge(self, power_kw: float, duration_s: float) -> float:
        """Charge at a grid-side power for a duration; the battery stops when full.

        Parameters
        ----------
        power_kw
            Grid-side charging power [kW], >= 0.
        duration_s
            Duration [s], >= 0.

        Returns
        -------
        float
            Grid-side energy actually drawn [kWh]: ``power_kw * duration_s / 3600`` unless the
            battery filled up on the way.
        """
        if power_kw < 0:
            raise ValueError(f"power_kw must be >= 0, got {power_kw}")
        if duration_s < 0:
            raise ValueError(f"duration_s must be >= 0, got {duration_s}")
        room_kwh = self._spec.battery_kwh - self._stored_kwh
        stored_kwh = min(power_kw * duration_s / 3600 * CHARGING_EFFICIENCY, room_kwh)
        self._stored_kwh += stored_kwh
        return stored_kwh / CHARGING_EFFICIENCY

    def drive(self, energy_kwh: float) -> float:
        """Take the energy of a trip out of the battery; it cannot go below empty.

        Parameters
        ----------
        energy_kwh
            Energy the trip needs [kWh], >= 0.

        Returns
        -------
        float
            The part of ``energy_kwh`` the battery could not supply [kWh]; 0 when it had enough.
        """
        if energy_kwh < 0:
            raise ValueError(f"energy_kwh must be >= 0, got {energy_kwh}")
        supplied_kwh = min(energy_kwh, self._stored_kwh)
        self._stored_kwh -= supplied_kwh
        return energy_kwh - supplied_kwh
