"""The administrators' side of chargers' credentials, through the API, with a charger on a real websocket.

TC_073_CSMS (Update Charge Point Password for HTTP Basic Authentication): the new key is sent with
ChangeConfiguration, and only a charger that accepts it has its password replaced.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fleet.runtime import Runtime
from tests.fleet.charger_security_support import CHARGER, HANDSHAKE_OK, handshake_status, secure_charger
from tests.ocpp_server.support import until

INITIAL_PASSWORD = "initial-password-1"
SECURITY = f"/api/v1/charge-points/{CHARGER}/security"


@pytest.fixture
async def ws_url(runtime: Runtime) -> AsyncIterator[str]:
    """The runtime's own central system on a free loopback port (plain ws)."""
    ready = asyncio.Event()
    task = asyncio.create_task(runtime.central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=5)
        yield f"ws://127.0.0.1:{runtime.central.listening_port()}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def admin(anonymous: httpx.AsyncClient, tokens: dict[str, str]) -> httpx.AsyncClient:
    anonymous.headers["Authorization"] = f"Bearer {tokens['admin']}"
    return anonymous


async def _profile_1_with_password(admin: httpx.AsyncClient) -> None:
    answer = await admin.put(f"{SECURITY}/password", json={"password": INITIAL_PASSWORD})
    assert answer.status_code == 204, answer.text
    answer = await admin.put(f"{SECURITY}/minimum-profile", json={"minimum_security_profile": 1})
    assert answer.status_code == 200, answer.text


async def _audit_payloads(runtime: Runtime) -> list[dict[str, Any]]:
    return [entry.payload or {} for entry in await runtime.store.access.list_audit(limit=50)]


async def test_the_password_is_stored_hashed_and_never_shown(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    await _profile_1_with_password(admin)

    view = (await admin.get(SECURITY)).json()
    stored = await runtime.store.charger_security.credentials(CHARGER)

    assert view["password_set"] is True
    assert view["minimum_security_profile"] == 1
    assert view["minimum_security_profile_source"] == "api"
    assert INITIAL_PASSWORD not in json.dumps(view)
    assert stored is not None
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert INITIAL_PASSWORD not in json.dumps(await _audit_payloads(runtime))


async def test_a_password_a_charger_cannot_hold_is_422(admin: httpx.AsyncClient) -> None:
    assert (await admin.put(f"{SECURITY}/password", json={"password": "short"})).status_code == 422
    assert (await admin.put(f"{SECURITY}/password", json={"password": "has spaces in it ok"})).status_code == 422


async def test_the_view_shows_the_profile_the_connection_used(admin: httpx.AsyncClient, ws_url: str) -> None:
    await _profile_1_with_password(admin)

    assert await handshake_status(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) == HANDSHAKE_OK

    view = (await admin.get(SECURITY)).json()
    assert view["last_security_profile"] == 1
    assert view["last_connected_at"] is not None


async def test_tc_073_csms_rotated_password_accepted_replaces_the_old_one(
    runtime: Runtime, admin: httpx.AsyncClient, ws_url: str
) -> None:
    await _profile_1_with_password(admin)
    async with secure_charger(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) as charger:
        await until("connected", lambda: CHARGER in runtime.central.connected_ids())
        answer = await admin.post(f"{SECURITY}/rotate-password")
        key = charger.configuration["AuthorizationKey"]

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"charge_point_id": CHARGER, "status": "Accepted", "stored": True}
    # 20 bytes written as 40 hexadecimal digits: the whitepaper's longest AuthorizationKey.
    assert len(key) == 40
    assert set(key) <= set(string.hexdigits)
    new_password = bytes.fromhex(key)
    assert await handshake_status(ws_url, CHARGER, password=new_password) == HANDSHAKE_OK
    assert await handshake_status(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) == 401
    assert key not in json.dumps(answer.json()) + json.dumps(await _audit_payloads(runtime))
    audited = [(e.actor, e.path, e.status_code) for e in await runtime.store.access.list_audit(limit=50)]
    assert ("ada", f"{SECURITY}/rotate-password", 200) in audited


async def test_a_rotation_the_charger_rejects_keeps_the_old_password(
    runtime: Runtime, admin: httpx.AsyncClient, ws_url: str
) -> None:
    await _profile_1_with_password(admin)
    async with secure_charger(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) as charger:
        charger.configuration_answer = "Rejected"
        await until("connected", lambda: CHARGER in runtime.central.connected_ids())
        answer = await admin.post(f"{SECURITY}/rotate-password")

    assert answer.json() == {"charge_point_id": CHARGER, "status": "Rejected", "stored": False}
    assert await handshake_status(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) == HANDSHAKE_OK


async def test_rotating_the_password_of_a_charger_not_connected_is_409(admin: httpx.AsyncClient) -> None:
    await _profile_1_with_password(admin)

    assert (await admin.post(f"{SECURITY}/rotate-password")).status_code == 409


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("ocpp/ChangeConfiguration", {"key": "AuthorizationKey", "value": b"operator-chosen-key!".hex()}),
        ("commands/change-configuration", {"key": "AuthorizationKey", "value": b"operator-chosen-key!".hex()}),
    ],
)
async def test_an_authorization_key_sent_as_a_command_becomes_the_password_once_accepted(
    runtime: Runtime, admin: httpx.AsyncClient, ws_url: str, path: str, body: dict[str, str]
) -> None:
    await _profile_1_with_password(admin)
    async with secure_charger(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()):
        await until("connected", lambda: CHARGER in runtime.central.connected_ids())
        answer = await admin.post(f"/api/v1/charge-points/{CHARGER}/{path}", json=body)

    assert answer.status_code == 200, answer.text
    assert answer.json()["payload"] == {"status": "Accepted"}
    assert await handshake_status(ws_url, CHARGER, password=b"operator-chosen-key!") == HANDSHAKE_OK
    assert await handshake_status(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) == 401
    assert body["value"] not in json.dumps(await _audit_payloads(runtime))


async def test_an_authorization_key_the_charger_rejects_changes_nothing(
    runtime: Runtime, admin: httpx.AsyncClient, ws_url: str
) -> None:
    await _profile_1_with_password(admin)
    body = {"key": "AuthorizationKey", "value": b"operator-chosen-key!".hex()}
    async with secure_charger(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) as charger:
        charger.configuration_answer = "Rejected"
        await until("connected", lambda: CHARGER in runtime.central.connected_ids())
        await admin.post(f"/api/v1/charge-points/{CHARGER}/ocpp/ChangeConfiguration", json=body)

    assert await handshake_status(ws_url, CHARGER, password=INITIAL_PASSWORD.encode()) == HANDSHAKE_OK
    assert await handshake_status(ws_url, CHARGER, password=b"operator-chosen-key!") == 401


async def test_the_minimum_profile_returns_to_the_site_file_value(admin: httpx.AsyncClient) -> None:
    await admin.put(f"{SECURITY}/minimum-profile", json={"minimum_security_profile": 3})

    view = (await admin.put(f"{SECURITY}/minimum-profile", json={"minimum_security_profile": None})).json()

    assert view["minimum_security_profile"] == 0
    assert view["minimum_security_profile_source"] == "site file"
    assert (await admin.put(f"{SECURITY}/minimum-profile", json={"minimum_security_profile": 4})).status_code == 422
