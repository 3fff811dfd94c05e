"""The central system as it runs at a site, and a charger that answers whatever the tests tell it to.

``site_runtime`` is the application with its OCPP server on a free loopback port, a real store (on
the backend ``VETTABBIA_TEST_DATABASE`` selects, see tests/conftest.py) and the operator API over
ASGI. ``ScriptedCharger`` is a plain ``ocpp`` library client on a real websocket: it checks every
request it receives against the official OCPP 1.6 schema, records it exactly as it travelled, and
answers with the payload (or CALLERROR) the test scripted, so that what the operator gets back can
be compared with what the charger said.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, validate_payload
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import ClientConnection

from fleet.auth import Role
from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.conftest import BASE_URL, TEST_KEY, fast_hasher
from tests.ocpp_server.support import serving_charger, until

OPERATOR = ("otto", "operator-secret-1")
AC_CHARGER = "MI-AC-01"
DC_CHARGER = "MI-DC-01"
KNOWN_TAG = "RFID-CAR-01"
"""The id tag of vehicle CAR-01 in the bundled Milan site."""


@dataclass(frozen=True)
class Refuse:
    """A scripted CALLERROR."""

    code: str
    description: str
    details: dict[str, Any]


Answer = dict[str, Any] | Refuse | None
"""A CALLRESULT payload in wire form, a CALLERROR, or None for never answering."""


def wire_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def check_result(action: str, payload: dict[str, Any]) -> None:
    """Raise the library's OCPPError unless ``payload`` is a valid OCPP 1.6 answer to ``action``."""
    await validate_payload(CallResult("check", payload, action), "1.6")


class ScriptedCharger(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """A charger whose answers to the central system are scripted per action (``answers``).

    Requests that fail their schema are answered FormationViolation (as a charger would) and kept
    in ``invalid``; every request is kept in ``calls`` as (action, payload) in wire form.
    """

    def __init__(self, charge_point_id: str, connection: ClientConnection) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.answers: dict[str, Answer] = {"SetChargingProfile": {"status": "Accepted"}}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.invalid: list[str] = []

    def calls_of(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == action]

    async def route_message(self, raw_msg: str) -> None:
        message = json.loads(raw_msg)
        if message[0] != 2:
            await super().route_message(raw_msg)
            return
        unique_id, action, payload = message[1], message[2], message[3]
        self.calls.append((action, payload))
        try:
            await validate_payload(Call(unique_id, action, payload), "1.6")
        except OCPPError as error:
            self.invalid.append(f"{action}: {error}")
            await self._connection.send(json.dumps([4, unique_id, "FormationViolation", str(error), {}]))
            return
        answer = self.answers.get(action, Refuse("NotSupported", f"{action} not scripted", {}))
        if answer is None:
            return
        if isinstance(answer, Refuse):
            await self._connection.send(json.dumps([4, unique_id, answer.code, answer.description, answer.details]))
            return
        await self._connection.send(json.dumps([3, unique_id, answer]))

    async def request(self, action: str, payload: dict[str, Any]) -> CallResult | CallError:
        """Send ``action`` with ``payload`` exactly as given; the central system's answer, a CALLRESULT
        already checked against its schema, or a CALLERROR."""
        unique_id = str(uuid.uuid4())
        async with self._call_lock:
            await self._connection.send(json.dumps([2, unique_id, action, payload]))
            response = await self._get_specific_response(unique_id, 5)
        if isinstance(response, CallResult):
            await check_result(action, response.payload)
        assert isinstance(response, CallResult | CallError), response
        return response

    async def boot(self) -> None:
        """BootNotification, answered Accepted; then waits for the fail-safe profile the central system installs."""
        answer = await self.call(call.BootNotification(charge_point_model="Conformance", charge_point_vendor="Test"))
        assert answer.status == "Accepted", answer
        await until("the fail-safe profile", lambda: bool(self.calls_of("SetChargingProfile")))

    async def status(self, status: str, connector_id: int = 1, error_code: str = "NoError") -> None:
        await self.call(call.StatusNotification(connector_id=connector_id, error_code=error_code, status=status))


@asynccontextmanager
async def site_runtime(database_url: str, *, call_timeout_s: float = 2.0) -> AsyncIterator[Runtime]:
    """The application for the bundled Milan site on the empty database at ``database_url``, its OCPP
    server listening on a free loopback port."""
    settings = RunSettings(
        database_url=database_url,
        token_key=TEST_KEY,
        ocpp_call_timeout_s=call_timeout_s,
    )
    runtime = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await runtime.store.migrate()
    await runtime.store.upsert_vehicles(vehicle_records(runtime.site))
    await runtime.auth.create_account(OPERATOR[0], AccountKind.USER, Role.OPERATOR, None, OPERATOR[1])
    ready = asyncio.Event()
    server = asyncio.create_task(runtime.central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=5)
        yield runtime
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        await runtime.store.close()


@asynccontextmanager
async def operator_api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An API client signed in as an operator."""
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as anonymous:
        form = {"grant_type": "password", "username": OPERATOR[0], "password": OPERATOR[1]}
        answer = await anonymous.post("/api/v1/auth/token", data=form)
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@asynccontextmanager
async def scripted_charger(runtime: Runtime, charge_point_id: str = AC_CHARGER) -> AsyncIterator[ScriptedCharger]:
    """A ScriptedCharger connected to ``runtime`` (not booted yet) until the block ends."""
    url = f"ws://127.0.0.1:{runtime.central.listening_port()}"
    async with serving_charger(url, charge_point_id, ScriptedCharger, central=runtime.central) as charger:
        yield charger
