"""Operator commands through the API to a charger on a real websocket, answered by a library client.

The charger is a plain ``ocpp`` ChargePoint that records every frame it receives, so the tests see
the payload exactly as it travelled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from ocpp.exceptions import GenericError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection

from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in
from tests.ocpp_server.support import serving_charger

CHARGER = "MI-DC-01"
OFFLINE_CHARGER = "MI-DC-02"
CALL_TIMEOUT_S = 0.5


class RecordingCharger(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """Answers the typed commands, a CALLERROR to DataTransfer, and never answers TriggerMessage."""

    def __init__(self, charge_point_id: str, connection: ClientConnection) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """(action, payload) of every CALL received, as on the wire."""

    async def route_message(self, raw_msg: str) -> None:
        message = json.loads(raw_msg)
        if message[0] == 2:
            self.calls.append((message[2], message[3]))
        await super().route_message(raw_msg)

    @on("RemoteStartTransaction")  # type: ignore[untyped-decorator]
    async def on_remote_start(self, id_tag: str, **_: Any) -> call_result.RemoteStartTransaction:
        return call_result.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")  # type: ignore[untyped-decorator]
    async def on_remote_stop(self, transaction_id: int) -> call_result.RemoteStopTransaction:
        return call_result.RemoteStopTransaction(status="Rejected")

    @on("Reset")  # type: ignore[untyped-decorator]
    async def on_reset(self, type: str) -> call_result.Reset:
        return call_result.Reset(status="Accepted")

    @on("UnlockConnector")  # type: ignore[untyped-decorator]
    async def on_unlock(self, connector_id: int) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status="Unlocked" if connector_id == 1 else "NotSupported")

    @on("ChangeAvailability")  # type: ignore[untyped-decorator]
    async def on_change_availability(self, connector_id: int, type: str) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(status="Scheduled" if connector_id == 0 else "Accepted")

    @on("DataTransfer")  # type: ignore[untyped-decorator]
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        raise GenericError(description=f"vendor {vendor_id} unknown", details={"cause": "no such vendor"})

    @on("TriggerMessage")  # type: ignore[untyped-decorator]
    async def on_trigger_message(self, **_: Any) -> call_result.TriggerMessage:
        await asyncio.Event().wait()
        raise AssertionError("never answers")


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A runtime whose OCPP server listens on a free loopback port, with a short command timeout."""
    settings = RunSettings(
        database_url=database_url,
        token_key=TEST_KEY,
        ocpp_call_timeout_s=CALL_TIMEOUT_S,
    )
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    for account in ACCOUNTS.values():
        await rt.auth.create_account(account.name, AccountKind.USER, account.role, account.fleet, account.secret)
    ready = asyncio.Event()
    server = asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready))
    await asyncio.wait_for(ready.wait(), timeout=5)
    yield rt
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    await rt.store.close()


@asynccontextmanager
async def connected_charger(rt: Runtime, charge_point_id: str = CHARGER) -> AsyncIterator[RecordingCharger]:
    url = f"ws://127.0.0.1:{rt.central.listening_port()}"
    async with serving_charger(url, charge_point_id, RecordingCharger, central=rt.central) as charger:
        yield charger


@asynccontextmanager
async def client(rt: Runtime, who: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as anonymous:
        token = await sign_in(anonymous, who)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as signed_in:
        yield signed_in


async def test_an_accepted_remote_start_travels_in_wire_form(runtime: Runtime) -> None:
    async with connected_charger(runtime) as charger, client(runtime, "operator") as api:
        answer = await api.post(
            f"/api/v1/charge-points/{CHARGER}/commands/remote-start", json={"id_tag": "RFID-CAR-01", "connector_id": 1}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "charge_point_id": CHARGER,
        "action": "RemoteStartTransaction",
        "outcome": "CallResult",
        "payload": {"status": "Accepted"},
        "error": None,
    }
    assert charger.calls == [("RemoteStartTransaction", {"idTag": "RFID-CAR-01", "connectorId": 1})]


@pytest.mark.parametrize(
    ("command", "body", "action", "wire", "status"),
    [
        ("reset", {"type": "Soft"}, "Reset", {"type": "Soft"}, "Accepted"),
        ("unlock-connector", {"connector_id": 1}, "UnlockConnector", {"connectorId": 1}, "Unlocked"),
        (
            "change-availability",
            {"connector_id": 0, "type": "Inoperative"},
            "ChangeAvailability",
            {"connectorId": 0, "type": "Inoperative"},
            "Scheduled",
        ),
        ("remote-stop", {"transaction_id": 42}, "RemoteStopTransaction", {"transactionId": 42}, "Rejected"),
    ],
)
async def test_each_typed_command_sends_its_action(
    runtime: Runtime, command: str, body: dict[str, Any], action: str, wire: dict[str, Any], status: str
) -> None:
    async with connected_charger(runtime) as charger, client(runtime, "admin") as api:
        answer = await api.post(f"/api/v1/charge-points/{CHARGER}/commands/{command}", json=body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["action"], answer.json()["payload"]) == (action, {"status": status})
    assert charger.calls == [(action, wire)]


async def test_unknown_transaction_and_connector_are_forwarded_unchanged(runtime: Runtime) -> None:
    """The central system does not judge the payload: the charger does, and its answer comes back."""
    stop = {"transactionId": 987654}
    unlock = {"connectorId": 9}
    async with connected_charger(runtime) as charger, client(runtime, "operator") as api:
        stopped = await api.post(f"/api/v1/charge-points/{CHARGER}/ocpp/RemoteStopTransaction", json=stop)
        unlocked = await api.post(f"/api/v1/charge-points/{CHARGER}/ocpp/UnlockConnector", json=unlock)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["payload"] == {"status": "Rejected"}
    assert unlocked.json()["payload"] == {"status": "NotSupported"}
    assert charger.calls == [("RemoteStopTransaction", stop), ("UnlockConnector", unlock)]


async def test_a_call_error_is_answered_with_its_code_description_and_details(runtime: Runtime) -> None:
    payload = {"vendorId": "com.example", "messageId": "x", "data": '{"a": 1}'}
    async with connected_charger(runtime) as charger, client(runtime, "operator") as api:
        answer = await api.post(f"/api/v1/charge-points/{CHARGER}/ocpp/DataTransfer", json=payload)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "CallError"
    assert answer.json()["payload"] is None
    assert answer.json()["error"] == {
        "code": "GenericError",
        "description": "vendor com.example unknown",
        "details": {"cause": "no such vendor"},
    }
    assert charger.calls == [("DataTransfer", payload)]


async def test_a_silent_charger_is_a_gateway_timeout(runtime: Runtime) -> None:
    async with connected_charger(runtime) as charger, client(runtime, "operator") as api:
        started = asyncio.get_running_loop().time()
        answer = await api.post(
            f"/api/v1/charge-points/{CHARGER}/ocpp/TriggerMessage", json={"requestedMessage": "Heartbeat"}
        )
        waited_s = asyncio.get_running_loop().time() - started
    assert answer.status_code == 504
    assert answer.headers["content-type"] == "application/problem+json"
    assert "no answer to TriggerMessage" in answer.json()["detail"]
    assert CALL_TIMEOUT_S <= waited_s < CALL_TIMEOUT_S + 2
    assert charger.calls == [("TriggerMessage", {"requestedMessage": "Heartbeat"})]


async def test_a_charger_not_connected_is_a_conflict_and_an_unknown_one_not_found(runtime: Runtime) -> None:
    async with client(runtime, "operator") as api:
        offline = await api.post(f"/api/v1/charge-points/{OFFLINE_CHARGER}/commands/reset", json={"type": "Soft"})
        unknown = await api.post("/api/v1/charge-points/NOPE/ocpp/Reset", json={"type": "Soft"})
        bad_action = await api.post(f"/api/v1/charge-points/{OFFLINE_CHARGER}/ocpp/BootNotification", json={})
    assert offline.status_code == 409
    assert offline.headers["content-type"] == "application/problem+json"
    assert "not connected" in offline.json()["detail"]
    assert unknown.status_code == 404
    assert bad_action.status_code == 422


async def test_fleet_managers_and_strangers_cannot_command(runtime: Runtime) -> None:
    async with connected_charger(runtime) as charger:
        async with client(runtime, "fleet_manager") as api:
            typed = await api.post(f"/api/v1/charge-points/{CHARGER}/commands/reset", json={"type": "Hard"})
            raw = await api.post(f"/api/v1/charge-points/{CHARGER}/ocpp/Reset", json={"type": "Hard"})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.app), base_url=BASE_URL) as anonymous:
            no_token = await anonymous.post(f"/api/v1/charge-points/{CHARGER}/ocpp/Reset", json={"type": "Hard"})
    assert (typed.status_code, raw.status_code, no_token.status_code) == (403, 403, 401)
    assert charger.calls == []


async def test_a_command_is_audited_and_an_idempotency_key_sends_it_once(runtime: Runtime) -> None:
    headers = {"Idempotency-Key": "reset-1"}
    async with connected_charger(runtime) as charger, client(runtime, "operator") as api:
        first = await api.post(
            f"/api/v1/charge-points/{CHARGER}/commands/reset", json={"type": "Soft"}, headers=headers
        )
        again = await api.post(
            f"/api/v1/charge-points/{CHARGER}/commands/reset", json={"type": "Soft"}, headers=headers
        )
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotency-replayed"] == "true"
    assert again.json() == first.json()
    assert charger.calls == [("Reset", {"type": "Soft"})]
    async with client(runtime, "admin") as admin:
        audit = (await admin.get("/api/v1/audit")).json()
    entries = [e for e in audit if e["path"] == f"/api/v1/charge-points/{CHARGER}/commands/reset"]
    assert len(entries) == 2
    assert {(e["actor"], e["status_code"]) for e in entries} == {("otto", 200)}
    assert entries[0]["payload"] == {"type": "Soft"}
