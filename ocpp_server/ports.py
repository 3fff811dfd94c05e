"""The seams between the OCPP edge and the application that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ocpp_server.commands import ConnectorElectrical
from ocpp_server.events import (
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerNotice,
    ConnectorStatusChanged,
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


@dataclass(frozen=True, slots=True)
class ConnectionDecision:
    accept: bool
    """False refuses the websocket (unknown charge point id)."""
    resume: BootDecision | None = None
    """Set when the charger booted before: the edge reinstalls the fail-safe profile as soon as the
    connection opens, since a reconnecting charger need not send a new BootNotification."""
    pending: bool = False
    """Admitted but not accepted (a charger the site does not list, with auto-registration on): its
    requests are screened as for a Pending boot until it boots and is accepted."""


@dataclass(frozen=True, slots=True)
class TransactionDecision:
    transaction_id: int
    id_tag_status: IdTagStatus


class ChargerEventSink(Protocol):
    """Implemented by the application. Every method returns only once the event is durable."""

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        """``accept=False`` refuses the connection (unknown charge point id)."""

    async def charger_disconnected(self, event: ChargerDisconnected) -> None: ...

    async def charger_booted(self, event: ChargerBooted) -> BootDecision: ...

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None: ...

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagStatus: ...

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision: ...

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagStatus | None: ...

    async def meter_values_received(self, event: MeterValuesReceived) -> None: ...

    async def charger_reported(self, event: ChargerNotice) -> None:
        """Firmware, diagnostics and log upload statuses and security events, for the operator."""
