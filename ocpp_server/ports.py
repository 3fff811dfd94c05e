"""The seams between the OCPP edge and the application that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from ocpp_server.commands import ConnectorElectrical
from ocpp_server.events import (
    CapabilitiesReported,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
    EvChargingNeeds,
    ExternalChargingLimit,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)


class IdTagStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


@dataclass(frozen=True, slots=True)
class BootDecision:
    """The answer to a BootNotification: Accepted, Pending (``pending``) or Rejected (neither)."""

    accepted: bool
    heartbeat_interval_s: int
    """Accepted: the heartbeat interval [s]. Pending or Rejected: how long [s] the charger waits
    before it boots again (the BootNotification's ``interval`` means that for those)."""
    electrical: dict[int, ConnectorElectrical]
    """Per connector id (1..n): how it takes limits. Used for the fail-safe profile after boot."""
    failsafe_limit_kw: float
    """The limit installed as TxDefaultProfile on every connector once the charger is accepted."""
    pending: bool = False
    """Not accepted yet, not rejected either: the charger stays connected and boots again later."""

    def __post_init__(self) -> None:
        if self.accepted and self.pending:
            raise ValueError("a boot is either accepted or pending, not both")


class Refusal(StrEnum):
    """Why a websocket handshake is refused; the edge answers each with its HTTP status."""

    UNKNOWN_ID = "unknown charge point id"
    """404 Not Found: OCPP-J's answer to an unknown charge point identity."""
    UNAUTHORIZED = "missing or wrong credentials"
    """401 Unauthorized with ``WWW-Authenticate: Basic``: Basic auth missing or wrong."""
    FORBIDDEN = "security profile too low"
    """403 Forbidden: below the charger's minimum security profile (plain ws where TLS is
    required, no client certificate where profile 3 is), or a certificate of another charger."""


@dataclass(frozen=True, slots=True)
class ConnectionDecision:
    accept: bool
    """False refuses the websocket, for ``refusal``."""
    resume: BootDecision | None = None
    """Set when the charger booted before: the edge reinstalls the fail-safe profile as soon as the
    connection opens, since a reconnecting charger need not send a new BootNotification."""
    pending: bool = False
    """Admitted but not accepted (a charger the site does not list, with auto-registration on): its
    requests are screened as for a Pending boot until it boots and is accepted."""
    refusal: Refusal = Refusal.UNKNOWN_ID
    """Why a connection is refused (``accept`` False)."""
    detail: str = ""
    """What the refusal says to the charger and the log."""


@dataclass(frozen=True, slots=True)
class IdTagInfo:
    """What the central system says about an id tag (OCPP 1.6 IdTagInfo)."""

    status: IdTagStatus
    expires_at: datetime | None = None
    """When the charger should drop the tag from its authorisation cache (``expiryDate``), UTC."""
    parent_id_tag: str | None = None
    """The tag's group (``parentIdTag``): a charger lets any tag of the same group stop a transaction."""


@dataclass(frozen=True, slots=True)
class TransactionDecision:
    transaction_id: int
    id_tag_info: IdTagInfo


@dataclass(frozen=True, slots=True)
class KnownTransaction:
    """A 2.0.1 transaction the application holds, found by the station's own transaction id."""

    transaction_id: int
    connector_id: int
    id_tag: str
    """"" while no id token is known for it."""
    meter_kwh: float
    """The latest energy register reading the application holds for it (at first, the meter start)."""


@dataclass(frozen=True, slots=True)
class CsrReview:
    """The answer to a SignCertificate: Accepted (``accepted``) or Rejected, with why."""

    accepted: bool
    reason: str = ""


class CertificateSigner(Protocol):
    """Implemented by the application: judges chargers' certificate signing requests and signs them.

    ``review_csr`` answers the SignCertificate request; only for an accepted one does the edge call
    ``sign_csr`` afterwards, from a task of the connection, and send the chain with CertificateSigned.
    """

    async def review_csr(self, charge_point_id: str, csr_pem: str) -> CsrReview: ...

    async def sign_csr(self, charge_point_id: str, csr_pem: str) -> str:
        """The PEM chain (the charger's certificate first), recorded before it is returned."""
        ...


class ChargerEventSink(Protocol):
    """Implemented by the application. Every method returns only once the event is durable."""

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        """``accept=False`` refuses the connection (unknown charge point id)."""

    async def charger_disconnected(self, event: ChargerDisconnected) -> None: ...

    async def charger_booted(self, event: ChargerBooted) -> BootDecision: ...

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None: ...

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagInfo: ...

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision: ...

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagInfo | None:
        """The stop's id tag as it stands now; None when the stop carries no id tag."""

    async def meter_values_received(self, event: MeterValuesReceived) -> None: ...

    async def charger_reported(self, event: ChargerNotice) -> None:
        """Firmware, diagnostics and log upload statuses and security events, for the operator."""

    async def capabilities_reported(self, event: CapabilitiesReported) -> None:
        """What the charger reported with GetConfiguration; the latest replaces the one before."""

    async def ev_charging_needs(self, event: EvChargingNeeds) -> bool:
        """Take a vehicle's ISO 15118 needs as the target of the transaction open on that EVSE and
        plan again; False (Rejected) when no transaction is open there."""

    async def external_limit_changed(self, event: ExternalChargingLimit) -> None:
        """A limit set by someone else (or its end): the plan must keep to it."""

    async def find_transaction(self, charge_point_id: str, charger_transaction_id: str) -> KnownTransaction | None:
        """The transaction a 2.0.1 station calls ``charger_transaction_id``, if the application holds it.

        Only the first TransactionEvent of a transaction names its EVSE: after a reconnect or a
        restart of the central system, the station's next events are placed by this."""

    async def transaction_cost_eur(self, transaction_id: int) -> float | None:
        """The transaction's energy so far at the site's tariff [EUR]; None for an unknown transaction.

        2.0.1 stations show it to the driver (a running cost while charging, the total at the end)."""
