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


class NoticeKind(StrEnum):
    """What a charger reported outside charging itself, for the operator to read."""

    FIRMWARE_STATUS = "FirmwareStatus"
    DIAGNOSTICS_STATUS = "DiagnosticsStatus"
    SECURITY_EVENT = "SecurityEvent"
    SIGNED_FIRMWARE_STATUS = "SignedFirmwareStatus"
    LOG_STATUS = "LogStatus"
    PENDING_REGISTRATION = "PendingRegistration"
    """A charger the site does not list booted while auto-registration is on; the operator decides."""
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
)
