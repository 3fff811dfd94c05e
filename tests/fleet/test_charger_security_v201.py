"""A 2.0.1 station's HTTP Basic password through the API (block A, use case A02), on a real websocket.

The new password is sent with SetVariables(SecurityCtrlr.BasicAuthPassword) and its hash replaces
the old one only when the station answers Accepted; the station then has to connect with it.
"""

from __future__ import annotations

import json
import string
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from fleet.runtime import Runtime
from tests.fleet.charger_security_support import HANDSHAKE_OK, basic_header
from tests.fleet.station201_support import connected_station, serving_runtime, signed_in

CHARGER = "MI-AC-01"
SECURITY = f"/api/v1/charge-points/{CHARGER}/security"
INITIAL_PASSWORD = "initial-password-1"
PASSWORD_VARIABLE = ("SecurityCtrlr", "BasicAuthPassword", None)


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with serving_runtime(database_url) as rt:
        yield rt


@pytest.fixture
async def admin(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(runtime, "admin") as client:
        answer = await client.put(f"{SECURITY}/password", json={"password": INITIAL_PASSWORD})
        assert answer.status_code == 204, answer.text
        answer = await client.put(f"{SECURITY}/minimum-profile", json={"minimum_security_profile": 1})
        assert answer.status_code == 200, answer.text
        yield client


def _with_password(password: str) -> dict[str, Any]:
    return {"additional_headers": basic_header(CHARGER, password.encode())}


async def _handshake(runtime: Runtime, password: str) -> int:
    """101 when a 2.0.1 station presenting ``password`` gets its websocket, else the refusal's status."""
    url = f"ws://127.0.0.1:{runtime.central.listening_port()}/{CHARGER}"
    try:
        async with connect(url, subprotocols=[Subprotocol("ocpp2.0.1")], **_with_password(password)):
            return HANDSHAKE_OK
    except InvalidStatus as refusal:
        return refusal.response.status_code


async def _audit_payloads(runtime: Runtime) -> str:
    return json.dumps([entry.payload or {} for entry in await runtime.store.access.list_audit(limit=50)])


async def test_tc_a_02_password_rotation_accepted_replaces_the_old_password(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    async with connected_station(runtime, CHARGER, **_with_password(INITIAL_PASSWORD)) as station:
        station.variables[PASSWORD_VARIABLE] = INITIAL_PASSWORD
        answer = await admin.post(f"{SECURITY}/rotate-password")
        new_password = station.variables[PASSWORD_VARIABLE]

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"charge_point_id": CHARGER, "status": "Accepted", "stored": True}
    assert station.calls == [
        (
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": new_password,
                    }
                ]
            },
        )
    ]
    assert len(new_password) == 40
    assert set(new_password) <= set(string.ascii_letters + string.digits)
    assert await _handshake(runtime, new_password) == HANDSHAKE_OK
    assert await _handshake(runtime, INITIAL_PASSWORD) == 401
    assert new_password not in json.dumps(answer.json()) + await _audit_payloads(runtime)


async def test_tc_a_02_password_rotation_rejected_keeps_the_old_password(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    async with connected_station(runtime, CHARGER, **_with_password(INITIAL_PASSWORD)) as station:
        station.variables[PASSWORD_VARIABLE] = INITIAL_PASSWORD
        station.set_variable_answers[PASSWORD_VARIABLE] = "Rejected"
        answer = await admin.post(f"{SECURITY}/rotate-password")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"charge_point_id": CHARGER, "status": "Rejected", "stored": False}
    [(action, _)] = station.calls
    assert action == "SetVariables"
    assert await _handshake(runtime, INITIAL_PASSWORD) == HANDSHAKE_OK


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param(
            "commands/change-configuration",
            {"key": "AuthorizationKey", "value": b"operator-chosen-key!".hex()},
            id="typed_authorization_key_in_16_form",
        ),
        pytest.param(
            "commands/change-configuration",
            {"key": "SecurityCtrlr.BasicAuthPassword", "value": "operator-chosen-key!"},
            id="typed_201_variable",
        ),
        pytest.param(
            "ocpp/SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": "operator-chosen-key!",
                    }
                ]
            },
            id="raw_set_variables",
        ),
    ],
)
async def test_a_password_set_as_a_command_becomes_the_password_once_accepted(
    runtime: Runtime, admin: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    async with connected_station(runtime, CHARGER, **_with_password(INITIAL_PASSWORD)) as station:
        station.variables[PASSWORD_VARIABLE] = INITIAL_PASSWORD
        answer = await admin.post(f"/api/v1/charge-points/{CHARGER}/{path}", json=body)

    assert answer.status_code == 200, answer.text
    assert answer.json()["action"] == "SetVariables"
    assert station.variables[PASSWORD_VARIABLE] == "operator-chosen-key!"
    assert await _handshake(runtime, "operator-chosen-key!") == HANDSHAKE_OK
    assert await _handshake(runtime, INITIAL_PASSWORD) == 401
    audited = await _audit_payloads(runtime)
    assert "operator-chosen-key!" not in audited
    assert b"operator-chosen-key!".hex() not in audited


async def test_a_password_the_station_rejects_as_a_command_changes_nothing(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    body = {"key": "AuthorizationKey", "value": b"operator-chosen-key!".hex()}
    async with connected_station(runtime, CHARGER, **_with_password(INITIAL_PASSWORD)) as station:
        station.variables[PASSWORD_VARIABLE] = INITIAL_PASSWORD
        station.set_variable_answers[PASSWORD_VARIABLE] = "Rejected"
        answer = await admin.post(f"/api/v1/charge-points/{CHARGER}/commands/change-configuration", json=body)

    assert answer.json()["payload"]["setVariableResult"][0]["attributeStatus"] == "Rejected"
    assert await _handshake(runtime, INITIAL_PASSWORD) == HANDSHAKE_OK
    assert await _handshake(runtime, "operator-chosen-key!") == 401
