"""What the store returns and accepts: frozen dataclasses, in kW / kWh / % / UTC.

Records are plain values detached from any database session; changing one means building a new one
(``dataclasses.replace``) and handing it back to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fleet.persistence.checks import require_finite, require_text
from fleet.persistence.errors import InvalidValueError
from ocpp_server.events import MeterSample


class VehicleClass(StrEnum):
    CAR = "car"
    VAN = "van"


@dataclass(frozen=True, slots=True)
class ConnectorRecord:
    """The last status a charge point reported for one connector (0 is the charge point itself)."""

    connector_id: int
    status: str
    error_code: str
    status_at: datetime


@dataclass(frozen=True, slots=True)
class ChargePointRecord:
    """A charge point as last seen; the boot fields stay ``None`` until it sent a BootNotification."""

    id: str
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    ocpp_version: str | None
    connected: bool
    connected_at: datetime | None
    last_seen_at: datetime | None
    booted_at: datetime | None
    connectors: tuple[ConnectorRecord, ...]


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    """A fleet vehicle and the id tag (RFID card) it authorises with."""

    id: str
    fleet: str
    vehicle_class: VehicleClass
    name: str
    id_tag: str
    battery_kwh: float
    max_ac_kw: float
    max_dc_kw: float
    iso15118_id: str | None = None
    """ISO 15118 identity (EVCCID or contract id) for Plug & Charge; ``None`` if the vehicle has none."""
    extra_id_tags: tuple[str, ...] = ()
    """Further RFID cards the vehicle authorises with (a driver's own card, a spare), ``id_tag`` not among them."""

    @property
    def id_tags(self) -> tuple[str, ...]:
        """Every id tag of the vehicle, ``id_tag`` first."""
        return (self.id_tag, *self.extra_id_tags)

    def __post_init__(self) -> None:
        require_text("id of vehicle", self.id)
        if self.iso15118_id is not None:
            require_text(f"iso15118_id of vehicle {self.id!r}", self.iso15118_id)
        require_text(f"id_tag of vehicle {self.id!r}", self.id_tag)
        for extra in self.extra_id_tags:
            require_text(f"extra_id_tags of vehicle {self.id!r}", extra)
        if len(set(self.id_tags)) != len(self.id_tags):
            raise InvalidValueError(f"extra_id_tags of vehicle {self.id!r}", "repeats an id tag")
        if self.vehicle_class not in tuple(VehicleClass):
            allowed = ", ".join(repr(c.value) for c in VehicleClass)
            raise InvalidValueError(
                f"vehicle_class of vehicle {self.id!r}",
                f"must be one of {allowed}, got {self.vehicle_class!r}",
            )
        _check_finite("battery_kwh", self.battery_kwh, minimum=0.0, strict=True, owner=self.id)
        _check_finite("max_ac_kw", self.max_ac_kw, minimum=0.0, strict=False, owner=self.id)
        _check_finite("max_dc_kw", self.max_dc_kw, minimum=0.0, strict=False, owner=self.id)


@dataclass(frozen=True, slots=True)
class GridLimitRecord:
    """A temporary grid import limit [kW] in force from ``starts_at`` until ``ends_at`` (UTC)."""

    id: int
    limit_kw: float
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime


NewBooking = tuple[str, datetime, float | None, float, float | None]
"""A booking to store: (vehicle id, departure, energy [kWh] or None, priority, target SoC (0-1] or None)."""


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """A vehicle's next departure and what it needs by then; the newest one per vehicle counts.

    The need is either energy [kWh] or a target state of charge (0-1], never both: the planner turns
    a target into energy from the vehicle's battery and its last reported state of charge.
    """

    id: int
    vehicle_id: str
    departure_at: datetime
    energy_needed_kwh: float | None
    priority: float
    created_at: datetime
    target_soc: float | None = None


@dataclass(frozen=True, slots=True)
class FinishedSession:
    """A past charging session imported as history (no meter values, only its energy)."""

    charge_point_id: str
    connector_id: int
    id_tag: str
    vehicle_id: str | None
    started_at: datetime
    stopped_at: datetime
    energy_kwh: float

    def __post_init__(self) -> None:
        require_text("charge_point_id of session", self.charge_point_id)
        if self.stopped_at < self.started_at:
            raise InvalidValueError("stopped_at of session", "must not be before started_at")
        _check_finite("energy_kwh", self.energy_kwh, minimum=0.0, strict=False, owner=self.charge_point_id)


@dataclass(frozen=True, slots=True)
class MeterBatch:
    """One MeterValues message's samples, as ``Store.add_meter_batches`` takes them."""

    charge_point_id: str
    connector_id: int
    transaction_id: int | None
    samples: tuple[MeterSample, ...]


@dataclass(frozen=True, slots=True)
class MeterBatchOutcome:
    stored: int
    """How many samples were new."""
    transaction_known: bool
    """False when the batch named a transaction the store does not have (its samples are kept
    without one); True too when it named none."""


@dataclass(frozen=True, slots=True)
class EvNeedsRecord:
    """What a transaction's vehicle last asked for over ISO 15118, in kWh, kW, A, V, UTC; None where
    it did not say."""

    reported_at: datetime
    requested_energy_transfer: str
    departure_at: datetime | None
    energy_amount_kwh: float | None
    """Battery energy the vehicle wanted when it reported."""
    max_power_kw: float | None
    min_current_a: float | None
    max_current_a: float | None
    max_voltage_v: float | None
    soc_percent: float | None
    capacity_kwh: float | None
    full_soc_percent: float | None
    register_at_report_kwh: float
    """The transaction's energy register when the vehicle reported."""


@dataclass(frozen=True, slots=True)
class ExternalLimitRecord:
    """A limit someone else set on a charger (OCPP 2.0.1 NotifyChargingLimit), standing until cleared."""

    charge_point_id: str
    connector_id: int
    """The EVSE, 0 for the whole charging station."""
    source: str
    limit_kw: float
    grid_critical: bool
    set_at: datetime


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """A charging session with its latest readings (``None`` until the first meter value)."""

    id: int
    charge_point_id: str
    connector_id: int
    id_tag: str
    vehicle_id: str | None
    meter_start_kwh: float
    started_at: datetime
    meter_stop_kwh: float | None
    stopped_at: datetime | None
    stop_reason: str | None
    last_energy_register_kwh: float | None
    last_power_kw: float | None
    last_soc_percent: float | None
    last_sample_at: datetime | None
    reservation_id: int | None = None
    """The reservation the charger said this transaction used."""
    charger_transaction_id: str | None = None
    """OCPP 2.0.1's transactionId, chosen by the charger; None for 1.6."""
    ev_needs: EvNeedsRecord | None = None
    """What the vehicle last asked for over ISO 15118, if it did."""

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None

    @property
    def register_kwh(self) -> float:
        """The energy register now [kWh]: at the stop, else the latest reading, else at the start."""
        if self.meter_stop_kwh is not None:
            return self.meter_stop_kwh
        if self.last_energy_register_kwh is not None:
            return self.last_energy_register_kwh
        return self.meter_start_kwh

    @property
    def energy_kwh(self) -> float:
        """Energy delivered so far [kWh]: the stop (or latest) meter register minus the start."""
        return self.register_kwh - self.meter_start_kwh


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A stored plan; ``body`` is the JSON document the application wrote (treat it as read-only)."""

    id: int
    created_at: datetime
    status: str
    termination: str
    objective_eur: float | None
    solve_time_s: float
    unmet_energy_kwh: float
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SiteSampleRecord:
    """Site power at one instant [kW]; ``None`` where that meter was not read."""

    measured_at: datetime
    ev_power_kw: float
    grid_import_kw: float | None
    pv_kw: float | None
    base_load_kw: float | None


def _check_finite(field: str, value: float, *, minimum: float, strict: bool, owner: str) -> None:
    require_finite(f"{field} of vehicle {owner!r}", value)
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise InvalidValueError(f"{field} of vehicle {owner!r}", f"must be {relation} {minimum:g}, got {value!r}")


@dataclass(frozen=True, slots=True)
class ChargerLogRecord:
    """One line of a charger's log: a status it reported, or a problem flagged in what it sent."""

    id: int
    charge_point_id: str
    at: datetime
    kind: str
    status: str
    flagged: bool
    """True for what the operator should look at."""
    request_id: int | None
    detail: str | None
