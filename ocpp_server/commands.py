"""What the application asks of a charger, in kW and UTC; the edge converts to the charger's unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ProfilePurpose(StrEnum):
    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"


class RateUnit(StrEnum):
    AMPS = "A"
    WATTS = "W"


@dataclass(frozen=True, slots=True)
class ConnectorElectrical:
    """How a connector takes limits: the unit it accepts and what converts kW to A."""

    rate_unit: RateUnit
    phases: int = 3
    voltage_v: float = 230.0
    min_current_a: float = 6.0
    max_power_kw: float = 22.0


@dataclass(frozen=True, slots=True)
class PowerPeriod:
    start_offset_s: int
    """Seconds after the profile's start."""
    limit_kw: float


@dataclass(frozen=True, slots=True)
class PowerLimitProfile:
    """A charging profile in kW; ``to_ocpp16`` turns it into amps or watts for the charger.

    Conversion rules: A = kW * 1000 / (voltage_v * phases), rounded down to 0.1 A; a positive limit
    below ``min_current_a`` becomes 0 (a charger cannot deliver it); W are rounded down to 0.1 W.
    Rounding is always down so that the converted profile never allows more than planned.
    """

    profile_id: int
    purpose: ProfilePurpose
    stack_level: int
    connector_id: int
    """0 for the whole charge point (ChargePointMaxProfile, TxDefaultProfile for every connector)."""
    start_utc: datetime | None
    """None: relative to the start of the transaction (1.6 'Relative' kind) or absolute 'now'."""
    duration_s: int | None
    periods: tuple[PowerPeriod, ...]
    transaction_id: int | None = None


class CommandStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"
    """ClearChargingProfile matched no profile: nothing of that kind is installed."""
    NOT_SUPPORTED = "NotSupported"
    NOT_CONNECTED = "NotConnected"
    TIMEOUT = "Timeout"
    CALL_ERROR = "CallError"
    NOT_SENT = "NotSent"
    """Refused by the central system before sending: the profile does not fit the charger's reported
    capabilities (see ``profile_checks``); ``detail`` says why."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The outcome of a command: callers must look at ``status``."""

    status: CommandStatus
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is CommandStatus.ACCEPTED
