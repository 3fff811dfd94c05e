"""What a simulated charge point sends, and the ordered queue it sends it from.

Transaction-related messages (start, stop, meter values and other updates of a transaction) are
kept while the charger is offline and delivered in order after it reconnects, as OCPP 1.6 (section
4.7) and 2.0.1 (E04) require; the outbox remembers which were queued offline (2.0.1 marks them).
Everything else is a report of the present (status, heartbeat, reports asked for) and is dropped
when it cannot be sent: the charger reports its current status again after reconnecting.

The messages say what happened, not how a protocol spells it: each OCPP link translates them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ReadingContext = Literal["Sample.Periodic", "Transaction.Begin", "Transaction.End", "Trigger"]
StopReason = Literal["EVDisconnected", "Remote", "DeAuthorized", "SoftReset", "HardReset", "UnlockCommand", "Local"]


class LocalTransaction:
    """A transaction as the charger knows it; the central system's id arrives later.

    Mutable through :meth:`confirm` and :meth:`abandon` only: messages queued before the
    StartTransaction answer refer to this object and read the id when they are sent. ``local_id``
    is the charger's own id of the transaction (OCPP 2.0.1 lets the charger choose it).
    """

    __slots__ = ("_abandoned", "_transaction_id", "id_tag", "local_id", "meter_start_wh", "started_at")

    def __init__(self, id_tag: str, meter_start_wh: int, started_at: datetime) -> None:
        self.id_tag = id_tag
        self.meter_start_wh = meter_start_wh
        self.started_at = started_at
        self.local_id = str(uuid.uuid4())
        self._transaction_id: int | None = None
        self._abandoned = False

    @property
    def transaction_id(self) -> int | None:
        return self._transaction_id

    @property
    def abandoned(self) -> bool:
        """True when StartTransaction could not be delivered: later messages cannot name it."""
        return self._abandoned

    def confirm(self, transaction_id: int) -> None:
        self._transaction_id = transaction_id

    def abandon(self) -> None:
        self._abandoned = True


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One set of samples taken at the same moment."""

    timestamp: datetime
    context: ReadingContext
    energy_register_wh: float
    power_w: float | None = None
    current_a: float | None = None
    """Per phase, on each of ``phases`` phases; None on DC."""
    phases: int = 3
    soc_percent: float | None = None


@dataclass(frozen=True, slots=True)
class StatusOut:
    connector_id: int
    status: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class HeartbeatOut:
    pass


@dataclass(frozen=True, slots=True)
class BootOut:
    """A BootNotification asked for by TriggerMessage (the boot itself is sent on connect)."""


@dataclass(frozen=True, slots=True)
class IdleNotificationOut:
    """DiagnosticsStatusNotification or FirmwareStatusNotification asked for by TriggerMessage."""

    action: Literal["DiagnosticsStatusNotification", "FirmwareStatusNotification"]


@dataclass(frozen=True, slots=True)
class StartTransactionOut:
    connector_id: int
    transaction: LocalTransaction


@dataclass(frozen=True, slots=True)
class MeterValuesOut:
    connector_id: int
    transaction: LocalTransaction | None
    readings: tuple[MeterReading, ...]


@dataclass(frozen=True, slots=True)
class StopTransactionOut:
    transaction: LocalTransaction
    meter_stop_wh: int
    timestamp: datetime
    reason: StopReason
    readings: tuple[MeterReading, ...]


ChargingState = Literal["Charging", "SuspendedEV", "SuspendedEVSE", "EVConnected"]
UpdateReason = Literal["ChargingStateChanged", "ChargingRateChanged"]


@dataclass(frozen=True, slots=True)
class TransactionUpdateOut:
    """The charging state or the offered rate of a running transaction changed (reported by
    OCPP 2.0.1 chargers; 1.6 reports the state with StatusNotification)."""

    transaction: LocalTransaction
    reason: UpdateReason
    charging_state: ChargingState
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class ChargingNeedsOut:
    """What the vehicle of a transaction asks for over ISO 15118 (NotifyEVChargingNeeds)."""

    transaction: LocalTransaction
    departure_utc: datetime | None
    energy_amount_wh: int
    """Energy to full [Wh], battery side."""
    ev_max_power_w: int
    soc_percent: int
    ev_energy_capacity_wh: int


@dataclass(frozen=True, slots=True)
class ReportOut:
    """A report the central system asked for, already in the wire form of the link that queued it
    (2.0.1 NotifyReport, ReportChargingProfiles, NotifyEVChargingSchedule, MeterValues)."""

    payload: object


OutMessage = (
    StatusOut
    | HeartbeatOut
    | BootOut
    | IdleNotificationOut
    | StartTransactionOut
    | MeterValuesOut
    | StopTransactionOut
    | TransactionUpdateOut
    | ChargingNeedsOut
    | ReportOut
)


def is_transaction_message(message: OutMessage) -> bool:
    """True for messages that must survive a lost connection."""
    if isinstance(message, MeterValuesOut):
        return message.transaction is not None
    return isinstance(message, StartTransactionOut | StopTransactionOut | TransactionUpdateOut | ChargingNeedsOut)


class Outbox:
    """FIFO of messages for one sender task. Only the sender removes items, after delivery."""

    def __init__(self) -> None:
        self._items: deque[OutMessage] = deque()
        self._queued_offline: set[int] = set()
        """``id()`` of the queued messages put while offline (they stay alive while queued)."""
        self._online = False
        self._not_empty = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._items)

    def pending(self) -> tuple[OutMessage, ...]:
        return tuple(self._items)

    def set_online(self, online: bool) -> None:
        """Going offline drops the queued reports of the present; transaction messages stay."""
        self._online = online
        if not online:
            self._replace(m for m in self._items if is_transaction_message(m))

    def put(self, message: OutMessage) -> None:
        if self._online or is_transaction_message(message):
            if not self._online:
                self._queued_offline.add(id(message))
            self._items.append(message)
            self._update_events()

    def queued_offline(self, message: OutMessage) -> bool:
        """True when a queued message was put while the charger was offline."""
        return id(message) in self._queued_offline

    def put_first(self, messages: Iterable[OutMessage]) -> None:
        """Queue messages ahead of everything else (the status report after connecting)."""
        self._replace([*messages, *self._items])

    async def head(self) -> OutMessage:
        """The next message to send; waits while there is none."""
        while not self._items:
            await self._not_empty.wait()
        return self._items[0]

    def remove_head(self) -> None:
        self._queued_offline.discard(id(self._items.popleft()))
        self._update_events()

    async def wait_empty(self) -> None:
        await self._empty.wait()

    def _replace(self, messages: Iterable[OutMessage]) -> None:
        self._items = deque(messages)
        self._queued_offline &= {id(m) for m in self._items}
        self._update_events()

    def _update_events(self) -> None:
        if self._items:
            self._not_empty.set()
            self._empty.clear()
        else:
            self._not_empty.clear()
            self._empty.set()
