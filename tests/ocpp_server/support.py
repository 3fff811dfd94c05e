"""Test doubles around the central system: an in-memory application and a library-made charger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from ocpp.exceptions import GenericError, NotImplementedError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import ConnectorElectrical, RateUnit
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
from ocpp_server.ports import (
    BootDecision,
    ConnectionDecision,
    IdTagInfo,
    IdTagStatus,
    KnownTransaction,
    TransactionDecision,
)

EventT = TypeVar("EventT")

NOW = datetime(2025, 6, 2, 10, 0, 0, tzinfo=UTC)

AC_22KW = ConnectorElectrical(RateUnit.AMPS, phases=3, voltage_v=230.0, min_current_a=6.0, max_power_kw=22.0)
DC_50KW = ConnectorElectrical(RateUnit.WATTS, phases=3, voltage_v=400.0, min_current_a=0.0, max_power_kw=50.0)

ACCEPTED = IdTagInfo(IdTagStatus.ACCEPTED)

AC_BOOT = BootDecision(accepted=True, heartbeat_interval_s=300, electrical={1: AC_22KW}, failsafe_limit_kw=4.6)
"""4.6 kW on 3 x 230 V is 4600 / 690 = 6.666 A, sent as 6.6 A."""


def fixed_now() -> datetime:
    return NOW


@dataclass
class RecordingSink:
    """The application as the edge sees it: records every event, answers from its settings."""

    known_ids: frozenset[str] | None = None
    """None accepts every charge point id."""
    resume: dict[str, BootDecision] = field(default_factory=dict)
    pending_ids: frozenset[str] = frozenset()
    """Admitted as pending (auto-registration) rather than accepted."""
    boot: BootDecision = AC_BOOT
    next_transaction_id: int = 1000
    failing: frozenset[str] = frozenset()
    """Names of sink methods that raise, to see the edge survive them."""
    id_tags: dict[str, IdTagInfo] = field(default_factory=dict)
    """The answer for these tags; any other is Accepted if it starts with "ok", else Invalid."""
    ev_needs_accepted: bool = True
    """What ``ev_charging_needs`` answers: False as when no transaction is open on that EVSE."""
    started_ids: dict[str, int] = field(default_factory=dict)
    """The number first given to each 2.0.1 transaction, by the station's id."""
    costs_eur: dict[int, float] = field(default_factory=dict)
    """What ``transaction_cost_eur`` answers per transaction; None for the others."""
    events: list[object] = field(default_factory=list)

    def of_type(self, kind: type[EventT]) -> list[EventT]:
        return [event for event in self.events if isinstance(event, kind)]

    def _record(self, method: str, event: object) -> None:
        if method in self.failing:
            raise RuntimeError(f"{method} is down")
        self.events.append(event)

    async def charger_connected(self, event: ChargerConnected) -> ConnectionDecision:
        self._record("charger_connected", event)
        if self.known_ids is not None and event.charge_point_id not in self.known_ids:
            return ConnectionDecision(accept=False)
        return ConnectionDecision(
            accept=True,
            resume=self.resume.get(event.charge_point_id),
            pending=event.charge_point_id in self.pending_ids,
        )

    async def charger_disconnected(self, event: ChargerDisconnected) -> None:
        self._record("charger_disconnected", event)

    async def charger_booted(self, event: ChargerBooted) -> BootDecision:
        self._record("charger_booted", event)
        return self.boot

    async def connector_status_changed(self, event: ConnectorStatusChanged) -> None:
        self._record("connector_status_changed", event)

    def id_tag_info(self, id_tag: str) -> IdTagInfo:
        if id_tag in self.id_tags:
            return self.id_tags[id_tag]
        return IdTagInfo(IdTagStatus.ACCEPTED if id_tag.startswith("ok") else IdTagStatus.INVALID)

    async def authorize(self, charge_point_id: str, id_tag: str) -> IdTagInfo:
        self._record("authorize", (charge_point_id, id_tag))
        return self.id_tag_info(id_tag)

    async def transaction_started(self, event: TransactionStarted) -> TransactionDecision:
        self._record("transaction_started", event)
        self.next_transaction_id += 1
        if event.charger_transaction_id is not None:
            self.started_ids.setdefault(event.charger_transaction_id, self.next_transaction_id)
        return TransactionDecision(self.next_transaction_id, self.id_tags.get(event.id_tag, ACCEPTED))

    async def transaction_stopped(self, event: TransactionStopped) -> IdTagInfo | None:
        self._record("transaction_stopped", event)
        return None if event.id_tag is None else self.id_tags.get(event.id_tag, ACCEPTED)

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        self._record("meter_values_received", event)

    async def charger_reported(self, event: ChargerNotice) -> None:
        self._record("charger_reported", event)

    async def capabilities_reported(self, event: CapabilitiesReported) -> None:
        self._record("capabilities_reported", event)

    async def ev_charging_needs(self, event: EvChargingNeeds) -> bool:
        self._record("ev_charging_needs", event)
        return self.ev_needs_accepted

    async def find_transaction(self, charge_point_id: str, charger_transaction_id: str) -> KnownTransaction | None:
        """The transactions this sink opened, by the station's id, as an application would remember them."""
        if "find_transaction" in self.failing:
            raise RuntimeError("find_transaction is down")
        for event in self.of_type(TransactionStarted):
            if (event.charge_point_id, event.charger_transaction_id) == (charge_point_id, charger_transaction_id):
                return KnownTransaction(
                    self.started_ids[charger_transaction_id], event.connector_id, event.id_tag, event.meter_start_kwh
                )
        return None

    async def transaction_cost_eur(self, transaction_id: int) -> float | None:
        if "transaction_cost_eur" in self.failing:
            raise RuntimeError("transaction_cost_eur is down")
        return self.costs_eur.get(transaction_id)

    async def external_limit_changed(self, event: ExternalChargingLimit) -> None:
        self._record("external_limit_changed", event)


@dataclass(frozen=True)
class ReceivedProfile:
    connector_id: int
    profile: dict[str, Any]
    """As the library hands it to a charger's handler: snake_case keys."""


class TestChargePoint(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """A charger written with the library's client side; answers profiles as ``profile_answer`` says.

    ``profile_answer``: "Accepted", "Rejected", "NotSupported", "CallError" (a GenericError
    CALLERROR) or "Silent" (never answers).
    """

    __test__ = False

    def __init__(self, charge_point_id: str, connection: ClientConnection) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.profiles: asyncio.Queue[ReceivedProfile] = asyncio.Queue()
        self.cleared: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.profile_answer = "Accepted"
        self.clear_answer = "Accepted"
        self.configuration: dict[str, str] | None = None
        """Answers GetConfiguration from this (key -> value), else with a NotImplemented CALLERROR."""
        self.configuration_requests: list[list[str] | None] = []
        self.received: list[ReceivedProfile] = []
        """Every SetChargingProfile received, in order (``profiles`` is drained by the tests)."""
        self.composite_requests: list[tuple[int, int, str | None]] = []

    @on("GetCompositeSchedule")  # type: ignore[untyped-decorator]
    async def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None
    ) -> call_result.GetCompositeSchedule:
        """Rejected until a profile arrived; then the latest one's schedule, as a simple charger would."""
        self.composite_requests.append((connector_id, duration, charging_rate_unit))
        if not self.received:
            return call_result.GetCompositeSchedule(status="Rejected")
        schedule = dict(self.received[-1].profile["charging_schedule"])
        schedule["duration"] = duration
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=schedule.get("start_schedule"),
            charging_schedule=schedule,
        )

    @on("GetConfiguration")  # type: ignore[untyped-decorator]
    async def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> call_result.GetConfiguration:
        self.configuration_requests.append(key)
        if self.configuration is None:
            raise NotImplementedError(description="GetConfiguration is not implemented")
        known = {name.lower(): (name, value) for name, value in self.configuration.items()}
        asked = list(self.configuration) if key is None else key
        found = [known[name.lower()] for name in asked if name.lower() in known]
        return call_result.GetConfiguration(
            configuration_key=[{"key": name, "readonly": True, "value": value} for name, value in found],
            unknown_key=[name for name in asked if name.lower() not in known] or None,
        )

    @on("SetChargingProfile")  # type: ignore[untyped-decorator]
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> call_result.SetChargingProfile:
        received = ReceivedProfile(connector_id, _floats(cs_charging_profiles))
        self.received.append(received)
        self.profiles.put_nowait(received)
        if self.profile_answer == "CallError":
            raise GenericError(description="profile store full")
        if self.profile_answer == "Silent":
            await asyncio.Event().wait()
        return call_result.SetChargingProfile(status=self.profile_answer)

    @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
    async def on_clear_charging_profile(self, **criteria: Any) -> call_result.ClearChargingProfile:
        self.cleared.put_nowait(criteria)
        return call_result.ClearChargingProfile(status=self.clear_answer)

    async def next_profile(self) -> ReceivedProfile:
        return await asyncio.wait_for(self.profiles.get(), timeout=5)


def _floats(value: Any) -> Any:
    """The library validates 1.6 profiles with Decimal parsing and hands the Decimals on."""
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


@asynccontextmanager
async def running(central: CentralSystem) -> AsyncIterator[str]:
    """Serve ``central`` on a free loopback port; yields its ws:// base URL."""
    ready = asyncio.Event()
    task = asyncio.create_task(central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=5)
        yield f"ws://127.0.0.1:{central.listening_port()}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


ChargerT = TypeVar("ChargerT", bound=ChargePoint)


@asynccontextmanager
async def serving_charger(
    url: str,
    charge_point_id: str,
    make: Callable[[str, ClientConnection], ChargerT],
    *,
    central: CentralSystem | None = None,
    subprotocol: str = "ocpp1.6",
    **connect_options: Any,
) -> AsyncIterator[ChargerT]:
    """A charger made by ``make`` on a connection to ``url/charge_point_id`` offering ``subprotocol``,
    serving its side until the block ends; with ``central``, only once that central system counts it
    as connected."""
    async with connect(f"{url}/{charge_point_id}", subprotocols=[Subprotocol(subprotocol)], **connect_options) as ws:
        charge_point = make(charge_point_id, ws)
        task = asyncio.create_task(charge_point.start())
        try:
            if central is not None:
                await until("the connection", lambda: charge_point_id in central.connected_ids())
            yield charge_point
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def charger(url: str, charge_point_id: str) -> AsyncIterator[TestChargePoint]:
    """A connected TestChargePoint serving its side of the connection until the block ends."""
    async with serving_charger(url, charge_point_id, TestChargePoint) as charge_point:
        yield charge_point


async def until(description: str, condition: Any, timeout_s: float = 5.0) -> None:
    """Wait until ``condition()`` holds; events cross a real socket, so they arrive a bit later."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {description}")
        await asyncio.sleep(0.01)
