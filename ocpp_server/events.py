"""Domain events published by the OCPP edge, in kW / kWh / A / % / UTC, whatever the charger sent.

The edge validates and normalises what a charger sends, then hands one of these to the
ChargerEventSink (see ``ports``). The sink persists before it returns, so that the edge answers the
charger only once the data is durable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ocpp_server.capabilities import ChargerCapabilities


class OcppVersion(StrEnum):
    V16 = "1.6"
    V201 = "2.0.1"
    V21 = "2.1"
    """Served as 2.0.1 (its core is 2.0.1's, see ``handlers_v21``)."""


class Measurand(StrEnum):
    """What a meter sample measures; values are normalised to the unit in the name."""

    ENERGY_IMPORT_KWH = "energy_import_kwh"
    POWER_IMPORT_KW = "power_import_kw"
    CURRENT_IMPORT_A = "current_import_a"
    VOLTAGE_V = "voltage_v"
    SOC_PERCENT = "soc_percent"
    POWER_OFFERED_KW = "power_offered_kw"
    CURRENT_OFFERED_A = "current_offered_a"


@dataclass(frozen=True, slots=True)
class MeterSample:
    measurand: Measurand
    value: float
    measured_at: datetime
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class PresentedCredentials:
    """What a charger showed at its websocket handshake, unchecked: the application judges it.

    See OCPP 1.6 Security Whitepaper (edition 3), security profiles 1-3.
    """

    basic_username: str | None = None
    """The HTTP Basic user name, None without an ``Authorization: Basic`` header."""
    basic_password: bytes | None = None
    """The password as sent: OCPP 1.6 passwords are bytes (an AuthorizationKey is their hex form)."""
    tls: bool = False
    """The connection came over TLS (the wss listener)."""
    client_certificate_cn: str | None = None
    """The common name of the client certificate the TLS handshake verified against the CA."""
    client_certificate_serial: str | None = None
    """That certificate's serial number, hexadecimal as the ssl module reports it."""


@dataclass(frozen=True, slots=True)
class ChargerConnected:
    charge_point_id: str
    ocpp_version: OcppVersion
    at: datetime
    credentials: PresentedCredentials = PresentedCredentials()


@dataclass(frozen=True, slots=True)
class ChargerDisconnected:
    charge_point_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ChargerBooted:
    charge_point_id: str
    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ConnectorStatusChanged:
    """connector_id 0 is the charge point as a whole."""

    charge_point_id: str
    connector_id: int
    status: str
    """OCPP 1.6 ChargePointStatus, e.g. Available, Preparing, Charging, SuspendedEV, Faulted."""
    error_code: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TransactionStarted:
    charge_point_id: str
    connector_id: int
    id_tag: str
    meter_start_kwh: float
    started_at: datetime
    reservation_id: int | None = None
    charger_transaction_id: str | None = None
    """OCPP 2.0.1's transactionId, chosen by the charger; None for 1.6, where the central system
    chooses. A start with the same (charge point, charger transaction id) as a stored one is the
    same transaction: the answer is the stored transaction's id (offline and repeated events)."""


@dataclass(frozen=True, slots=True)
class TransactionStopped:
    charge_point_id: str
    transaction_id: int
    meter_stop_kwh: float
    stopped_at: datetime
    reason: str | None
    id_tag: str | None
    samples: tuple[MeterSample, ...] = ()


@dataclass(frozen=True, slots=True)
class MeterValuesReceived:
    charge_point_id: str
    connector_id: int
    transaction_id: int | None
    samples: tuple[MeterSample, ...]


@dataclass(frozen=True, slots=True)
class EvChargingNeeds:
    """What a vehicle asked for over ISO 15118 (OCPP 2.0.1 NotifyEVChargingNeeds), in kWh, kW, A, UTC.

    Every figure is the vehicle's own; None where it did not say.
    """

    charge_point_id: str
    connector_id: int
    """The EVSE id: one EVSE is one connector to the rest of the system."""
    requested_energy_transfer: str
    """OCPP 2.0.1 EnergyTransferModeEnumType: DC, AC_single_phase, AC_two_phase, AC_three_phase."""
    at: datetime
    departure_at: datetime | None = None
    energy_amount_kwh: float | None = None
    """Energy the vehicle wants before it leaves."""
    max_power_kw: float | None = None
    """DC: evMaxPower; AC: evMaxCurrent at the connector's voltage and the requested phases."""
    min_current_a: float | None = None
    max_current_a: float | None = None
    max_voltage_v: float | None = None
    soc_percent: float | None = None
    capacity_kwh: float | None = None
    full_soc_percent: float | None = None


@dataclass(frozen=True, slots=True)
class ExternalChargingLimit:
    """A limit set on the charger by someone else than this system (OCPP 2.0.1 NotifyChargingLimit:
    a grid operator, an energy management system), or its end (ClearedChargingLimit)."""

    charge_point_id: str
    connector_id: int
    """The EVSE id, 0 for the whole charging station."""
    source: str
    """ChargingLimitSourceEnumType: EMS, Other, SO (system operator), CSO."""
    limit_kw: float | None
    """The lowest limit the charger reported for now, None when the limit was cleared."""
    grid_critical: bool
    at: datetime


class NoticeKind(StrEnum):
    """What a charger reported outside charging itself, for the operator to read."""

    FIRMWARE_STATUS = "FirmwareStatus"
    DIAGNOSTICS_STATUS = "DiagnosticsStatus"
    SECURITY_EVENT = "SecurityEvent"
    SIGNED_FIRMWARE_STATUS = "SignedFirmwareStatus"
    LOG_STATUS = "LogStatus"
    PENDING_REGISTRATION = "PendingRegistration"
    """A charger the site does not list booted while auto-registration is on; the operator decides."""
    EV_CHARGING_SCHEDULE = "EVChargingSchedule"
    """The schedule a vehicle chose within its charging profile (NotifyEVChargingSchedule); ``detail``
    compares it with the profile sent."""
    EVENT = "Event"
    """A monitored variable's event (OCPP 2.0.1 NotifyEvent)."""
    CHARGING_PROFILE = "ChargingProfile"
    """A charging profile the charger does not hold: not sent (it does not fit the charger) or not
    accepted; ``status`` is the CommandStatus, ``request_id`` the chargingProfileId."""


@dataclass(frozen=True, slots=True)
class ChargerNotice:
    """One line for the operator's log of a charger: a status report or a security event."""

    charge_point_id: str
    kind: NoticeKind
    status: str
    """The reported status (``Installed``, ``Uploaded``, ...) or, for a security event, its type."""
    at: datetime
    """When the charger says it happened (security events carry a time), else when it arrived."""
    request_id: int | None = None
    """The request of the central system this reports on (GetLog, SignedUpdateFirmware)."""
    detail: str | None = None
    """Free text from the charger, e.g. a security event's techInfo."""


@dataclass(frozen=True, slots=True)
class CapabilitiesReported:
    """What a charger reported of itself (GetConfiguration) after an accepted boot or a reconnect."""

    charge_point_id: str
    capabilities: ChargerCapabilities
    configuration: dict[str, str | None]
    """The keys as the charger answered them, values unchanged (AuthorizationKey left out)."""


ChargerEvent = (
    ChargerConnected
    | ChargerDisconnected
    | ChargerBooted
    | ConnectorStatusChanged
    | TransactionStarted
    | TransactionStopped
    | MeterValuesReceived
    | ChargerNotice
    | CapabilitiesReported
    | EvChargingNeeds
    | ExternalChargingLimit
)
