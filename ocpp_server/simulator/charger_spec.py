"""What a simulated charge point is: its electrical ratings and how it takes charging limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ocpp_server.simulator.battery import ChargerKind

RateUnit = Literal["A", "W"]
OcppVersion = Literal["1.6", "2.0.1"]


@dataclass(frozen=True, slots=True)
class SimChargerSpec:
    """A simulated charge point with one connector.

    Attributes
    ----------
    charge_point_id
        The OCPP charge point identity (last segment of the websocket URL).
    kind
        ``"AC"`` or ``"DC"``: which of the vehicle's maximum powers applies.
    max_power_kw
        Hardware maximum of the connector [kW].
    rate_unit
        The unit the charger accepts in charging schedules: ``"A"`` (current per phase) or ``"W"``.
    phases
        Number of phases used to convert amps to kW [-].
    voltage_v
        Phase-to-neutral voltage used to convert amps to kW [V].
    min_current_a
        Smallest current an AC charger can signal to a vehicle (IEC 61851: 6 A) [A]; an AC limit
        below it stops charging. Ignored for DC.
    vendor, model
        Reported in BootNotification.
    max_schedule_periods
        ChargingScheduleMaxPeriods: the most periods a schedule may have [-].
    max_stack_level
        ChargeProfileMaxStackLevel: the highest stack level accepted [-].
    max_installed_profiles
        MaxChargingProfilesInstalled [-].
    ocpp_version
        The protocol the charger speaks: ``"1.6"`` (OCPP 1.6J) or ``"2.0.1"``.
    iso15118
        Whether the charger talks ISO 15118 with the vehicle and reports its charging needs
        (NotifyEVChargingNeeds, 2.0.1 only); None means yes for DC 2.0.1 chargers.
    """

    charge_point_id: str
    kind: ChargerKind
    max_power_kw: float
    rate_unit: RateUnit
    phases: int
    voltage_v: float
    min_current_a: float
    vendor: str
    model: str
    max_schedule_periods: int = 96
    max_stack_level: int = 10
    max_installed_profiles: int = 16
    ocpp_version: OcppVersion = "1.6"
    iso15118: bool | None = None

    @property
    def speaks_iso15118(self) -> bool:
        if self.iso15118 is None:
            return self.kind == "DC" and self.ocpp_version == "2.0.1"
        return self.iso15118 and self.ocpp_version == "2.0.1"

    def __post_init__(self) -> None:
        cp = self.charge_point_id
        if not cp or "/" in cp:
            raise ValueError(f"charge_point_id must be non-empty and contain no '/', got {cp!r}")
        if self.kind not in ("AC", "DC"):
            raise ValueError(f"kind of {cp} must be 'AC' or 'DC', got {self.kind!r}")
        if self.rate_unit not in ("A", "W"):
            raise ValueError(f"rate_unit of {cp} must be 'A' or 'W', got {self.rate_unit!r}")
        if not self.max_power_kw > 0:
            raise ValueError(f"max_power_kw of {cp} must be > 0, got {self.max_power_kw}")
        if self.phases not in (1, 2, 3):
            raise ValueError(f"phases of {cp} must be 1, 2 or 3, got {self.phases}")
        if not self.voltage_v > 0:
            raise ValueError(f"voltage_v of {cp} must be > 0, got {self.voltage_v}")
        if self.min_current_a < 0:
            raise ValueError(f"min_current_a of {cp} must be >= 0, got {self.min_current_a}")
        if not 1 <= len(self.vendor) <= 20 or not 1 <= len(self.model) <= 20:
            raise ValueError(f"vendor and model of {cp} must have 1-20 characters (BootNotification)")
        if self.ocpp_version not in ("1.6", "2.0.1"):
            raise ValueError(f"ocpp_version of {cp} must be '1.6' or '2.0.1', got {self.ocpp_version!r}")
        if self.max_schedule_periods < 1 or self.max_stack_level < 0 or self.max_installed_profiles < 1:
            raise ValueError(f"smart-charging capacities of {cp} must be positive")

    def kw_per_amp(self, number_phases: int | None = None) -> float:
        """Power of one amp per phase on ``number_phases`` phases (default: all) [kW/A]."""
        phases = self.phases if number_phases is None else min(number_phases, self.phases)
        return self.voltage_v * phases / 1000
