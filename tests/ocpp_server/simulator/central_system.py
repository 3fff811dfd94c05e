"""A small OCPP 1.6 central system for the simulator tests, on the ``ocpp`` library's server role.

It answers every charger message, records what it received, and lets a test send requests to a
connected charger or drop its connection. It listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self, TypeVar

import websockets
from ocpp.exceptions import InternalError
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint as LibraryChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

_F = TypeVar("_F", bound=Callable[..., Any])


def _on(action: str) -> Callable[[_F], _F]:
    decorator: Callable[[_F], _F] = ocpp_on(action)
    return decorator


@dataclass(frozen=True)
class Received:
    charge_point_id: str
    action: str
    payload: dict[str, Any]
    """The request's fields, snake_case, as the library hands them to a handler."""


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _ChargerSession(LibraryChargePoint):  # type: ignore[misc]
    def __init__(self, charge_point_id: str, connection: ServerConnection, system: CentralSystem) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self._system = system

    def _record(self, action: str, payload: dict[str, Any]) -> None:
        self._system.record(Received(self.id, action, payload))
        if self._system.failures.get(action, 0) > 0:
            self._system.failures[action] -= 1
            raise InternalError(description=f"{action} failed on purpose")

    @_on(Action.boot_notification)
    def on_boot(self, **payload: Any) -> call_result.BootNotification:
        self._record("BootNotification", payload)
        status = self._system.next_boot_status()
        return call_result.BootNotification(
            current_time=_now_text(), interval=self._system.boot_interval_s, status=status
        )

    @_on(Action.heartbeat)
    def on_heartbeat(self, **payload: Any) -> call_result.Heartbeat:
        self._record("Heartbeat", payload)
        return call_result.Heartbeat(current_time=_now_text())

    @_on(Action.status_notification)
    def on_status(self, **payload: Any) -> call_result.StatusNotification:
        self._record("StatusNotification", payload)
        return call_result.StatusNotification()

    @_on(Action.start_transaction)
    def on_start(self, **payload: Any) -> call_result.StartTransaction:
        transaction_id = self._system.new_transaction_id()
        self._record("StartTransaction", {**payload, "assigned_transaction_id": transaction_id})
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info={"status": self._system.id_tag_status}
        )

    @_on(Action.stop_transaction)
    def on_stop(self, **payload: Any) -> call_result.StopTransaction:
        self._record("StopTransaction", payload)
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @_on(Action.meter_values)
    def on_meter_values(self, **payload: Any) -> call_result.MeterValues:
        self._record("MeterValues", payload)
        return call_result.MeterValues()

    @_on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, **payload: Any) -> call_result.DiagnosticsStatusNotification:
        self._record("DiagnosticsStatusNotification", payload)
        return call_result.DiagnosticsStatusNotification()

    @_on(Action.firmware_status_notification)
    def on_firmware_status(self, **payload: Any) -> call_result.FirmwareStatusNotification:
        self._record("FirmwareStatusNotification", payload)
        return call_result.FirmwareStatusNotification()


class CentralSystem:
    """Use as ``async with CentralSystem() as cs:``; chargers connect to ``cs.base_url``.

    Parameters
    ----------
    boot_statuses
        Answers to the first BootNotifications, in order (e.g. ``["Pending"]``); Accepted after.
    boot_interval_s
        The interval in every BootNotification.conf [s].
    id_tag_status
        The idTagInfo status of every StartTransaction.conf.
    """

    subprotocol = "ocpp1.6"

    def __init__(
        self,
        *,
        boot_statuses: Sequence[str] = (),
        boot_interval_s: int = 300,
        id_tag_status: str = "Accepted",
    ) -> None:
        self._boot_statuses = deque(boot_statuses)
        self.boot_interval_s = boot_interval_s
        self.id_tag_status = id_tag_status
        self.received: list[Received] = []
        self.sessions: dict[str, Any] = {}
        self.connects: dict[str, int] = {}
        self._connections: dict[str, ServerConnection] = {}
        self._transaction_ids = itertools.count(101)
        self._changed = asyncio.Event()
        self._server: Server | None = None
        self.failures: dict[str, int] = {}
        """Action -> how many of the next requests to answer with a CALLERROR (after recording)."""
        self.refuse_connections = False
        """While True, websocket handshakes are answered 503 (the central system is down)."""

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"

    async def __aenter__(self) -> Self:
        self._server = await serve(
            self._serve,
            "127.0.0.1",
            0,
            subprotocols=[websockets.Subprotocol(self.subprotocol)],
            process_request=self._admit,
        )
        return self

    def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.refuse_connections:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "central system unavailable\n")
        return None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        charge_point_id = connection.request.path.rsplit("/", 1)[-1]
        session = self.new_session(charge_point_id, connection)
        self.sessions[charge_point_id] = session
        self._connections[charge_point_id] = connection
        self.connects[charge_point_id] = self.connects.get(charge_point_id, 0) + 1
        self._notify()
        try:
            await session.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self._connections.get(charge_point_id) is connection:
                del self._connections[charge_point_id]
            self._notify()

    def new_session(self, charge_point_id: str, connection: ServerConnection) -> Any:
        """The library's server-side charge point for a new connection."""
        return _ChargerSession(charge_point_id, connection, self)

    def record(self, received: Received) -> None:
        self.received.append(received)
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def next_boot_status(self) -> str:
        return self._boot_statuses.popleft() if self._boot_statuses else "Accepted"

    def new_transaction_id(self) -> int:
        return next(self._transaction_ids)

    def is_connected(self, charge_point_id: str) -> bool:
        return charge_point_id in self._connections

    def messages(self, action: str, charge_point_id: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if r.action == action and (charge_point_id is None or r.charge_point_id == charge_point_id)
        ]

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
        """Wait until ``condition()`` holds, re-checked after every message and connection change
        and every 20 ms (conditions may read the simulator's own state)."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.02)

    async def wait_for(self, action: str, charge_point_id: str, count: int = 1, timeout_s: float = 10.0) -> Received:
        """The ``count``-th message of ``action`` from ``charge_point_id``, waiting for it."""
        await self.wait_until(lambda: len(self.messages(action, charge_point_id)) >= count, timeout_s)
        return self.messages(action, charge_point_id)[count - 1]

    async def request(self, charge_point_id: str, payload: Any) -> Any:
        """Send a request to a connected charger and return its answer."""
        return await self.sessions[charge_point_id].call(payload, suppress=False)

    async def drop(self, charge_point_id: str) -> None:
        """Close a charger's websocket from the server side."""
        await self._connections[charge_point_id].close()

    async def go_down(self, charge_point_id: str) -> None:
        """Refuse new connections and close this charger's websocket."""
        self.refuse_connections = True
        await self.drop(charge_point_id)
        await self.wait_until(lambda: not self.is_connected(charge_point_id))
