"""Local authorisation lists through the API to a library-made charger on a real websocket.

The charger keeps its own list and version as OCPP 1.6 describes (a Differential update whose version
is not above its own is a VersionMismatch), so the tests compare what it holds with what is stored.
Named after the OCPP 1.6 compliance test cases where one matches.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection

from fleet.persistence.access_records import AccountKind
from fleet.persistence.id_tag_records import IdTagRecord
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in
from tests.ocpp_server.support import charger as library_charger
from tests.ocpp_server.support import serving_charger, until

CHARGER = "MI-DC-01"
LIST_URL = f"/api/v1/charge-points/{CHARGER}/local-list"


class ListKeepingCharger(ChargePoint):  # type: ignore[misc]  # the ocpp package ships no types
    """Holds a local list; answers SendLocalList with ``answers`` in turn (then Accepted) and reports
    its limits to GetConfiguration only when ``limits`` has them."""

    def __init__(self, charge_point_id: str, connection: ClientConnection) -> None:
        super().__init__(charge_point_id, connection, response_timeout=5)
        self.version = 0
        self.entries: dict[str, dict[str, Any]] = {}
        """idTag -> idTagInfo, in wire form."""
        self.answers: list[str] = []
        """"Accepted", "Failed", "NotSupported", "CallError" (a NotSupported CALLERROR) or "Silent"."""
        self.limits: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []
        """Every SendLocalList payload received, as on the wire."""

    async def route_message(self, raw_msg: str) -> None:
        message = json.loads(raw_msg)
        if message[0] == 2 and message[2] == "SendLocalList":
            self.sent.append(message[3])
        await super().route_message(raw_msg)

    @on("GetConfiguration")  # type: ignore[untyped-decorator]
    async def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        known = [{"key": k, "readonly": True, "value": v} for k, v in self.limits.items() if k in (key or [])]
        unknown = [k for k in key or [] if k not in self.limits]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown)

    @on("SendLocalList")  # type: ignore[untyped-decorator]
    async def on_send_local_list(
        self, list_version: int, update_type: str, local_authorization_list: list[dict[str, Any]] | None = None
    ) -> call_result.SendLocalList:
        answer = self.answers.pop(0) if self.answers else "Accepted"
        if answer == "CallError":
            raise NotSupportedError(description="no local list here")
        if answer == "Silent":
            await asyncio.Event().wait()
        if answer != "Accepted":
            return call_result.SendLocalList(status=answer)
        if update_type == "Differential" and list_version <= self.version:
            return call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            self.entries = {}
        for item in local_authorization_list or []:
            if item.get("id_tag_info") is None:
                self.entries.pop(item["id_tag"], None)
            else:
                self.entries[item["id_tag"]] = item["id_tag_info"]
        self.version = list_version
        return call_result.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")  # type: ignore[untyped-decorator]
    async def on_get_local_list_version(self) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(list_version=self.version)


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY, ocpp_call_timeout_s=2.0)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    account = ACCOUNTS["operator"]
    await rt.auth.create_account(account.name, AccountKind.USER, account.role, account.fleet, account.secret)
    ready = asyncio.Event()
    server = asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready))
    await asyncio.wait_for(ready.wait(), timeout=5)
    yield rt
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    await rt.store.close()


@asynccontextmanager
async def connected(rt: Runtime) -> AsyncIterator[ListKeepingCharger]:
    url = f"ws://127.0.0.1:{rt.central.listening_port()}"
    async with serving_charger(url, CHARGER, ListKeepingCharger, central=rt.central) as charger:
        yield charger


@asynccontextmanager
async def operator(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as anonymous:
        token = await sign_in(anonymous, "operator")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


TWO_TAGS = {
    "entries": [
        {"id_tag": "DRIVER-7", "status": "Accepted", "expiry_date": "2030-01-01T00:00:00Z", "parent_id_tag": "DEPOT"},
        {"id_tag": "RFID-CAR-01"},
    ]
}
"""One tag with its IdTagInfo, one (a vehicle's card) whose IdTagInfo comes from the central system."""


async def test_tc_043_4_csms_a_full_list_reaches_the_charger_with_every_id_tag_info(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        answer = await api.put(LIST_URL, json=TWO_TAGS)
        stored = await api.get(LIST_URL)

    assert answer.status_code == 200, answer.text
    assert charger.sent == [
        {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {
                    "idTag": "DRIVER-7",
                    "idTagInfo": {
                        "status": "Accepted",
                        "expiryDate": "2030-01-01T00:00:00.000Z",
                        "parentIdTag": "DEPOT",
                    },
                },
                {"idTag": "RFID-CAR-01", "idTagInfo": {"status": "Accepted"}},
            ],
        }
    ]
    assert stored.json() == answer.json()
    assert (stored.json()["version"], charger.version) == (1, 1)
    assert [(e["id_tag"], e["status"], e["parent_id_tag"]) for e in stored.json()["entries"]] == [
        ("DRIVER-7", "Accepted", "DEPOT"),
        ("RFID-CAR-01", "Accepted", None),
    ]


async def test_an_entry_without_status_takes_the_id_tag_stores_answer(runtime: Runtime) -> None:
    await runtime.store.id_tags.add_id_tag(IdTagRecord("RFID-CAR-01", IdTagInfo(IdTagStatus.BLOCKED)))
    async with connected(runtime) as charger, operator(runtime) as api:
        answer = await api.put(LIST_URL, json={"entries": [{"id_tag": "RFID-CAR-01"}, {"id_tag": "STRANGER"}]})

    assert answer.status_code == 200, answer.text
    assert charger.entries == {"RFID-CAR-01": {"status": "Blocked"}, "STRANGER": {"status": "Invalid"}}


async def test_tc_043_5_csms_a_differential_update_sends_only_the_changes(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        await api.put(LIST_URL, json=TWO_TAGS)
        changed = await api.patch(
            LIST_URL, json={"upsert": [{"id_tag": "NEW-CARD", "status": "Accepted"}], "remove": ["driver-7"]}
        )
        version = await api.post(f"{LIST_URL}/version")

    assert changed.status_code == 200, changed.text
    assert charger.sent[-1] == {
        "listVersion": 2,
        "updateType": "Differential",
        "localAuthorizationList": [
            {"idTag": "NEW-CARD", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "driver-7"},
        ],
    }
    assert changed.json()["version"] == 2
    assert [e["id_tag"] for e in changed.json()["entries"]] == ["NEW-CARD", "RFID-CAR-01"]
    assert version.json() == {"charge_point_id": CHARGER, "stored_version": 2, "charger_version": 2, "matches": True}


async def test_tc_042_2_csms_a_charger_without_a_list_reports_version_zero(runtime: Runtime) -> None:
    async with connected(runtime), operator(runtime) as api:
        answer = await api.post(f"{LIST_URL}/version")

    assert answer.json() == {"charge_point_id": CHARGER, "stored_version": 0, "charger_version": 0, "matches": True}


async def test_a_version_check_reports_a_charger_whose_list_changed_elsewhere(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        await api.put(LIST_URL, json=TWO_TAGS)
        charger.version = 7
        answer = await api.post(f"{LIST_URL}/version")

    assert answer.json() == {"charge_point_id": CHARGER, "stored_version": 1, "charger_version": 7, "matches": False}


async def test_a_version_mismatch_is_a_conflict_and_changes_nothing_stored(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        await api.put(LIST_URL, json=TWO_TAGS)
        charger.version = 9
        refused = await api.patch(LIST_URL, json={"remove": ["RFID-CAR-01"]})
        stored = await api.get(LIST_URL)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "VersionMismatch" in refused.json()["detail"]
    assert stored.json()["version"] == 1
    assert len(stored.json()["entries"]) == 2


@pytest.mark.parametrize(("answer", "status"), [("Failed", 502), ("NotSupported", 409), ("CallError", 409)])
async def test_a_refused_full_update_names_the_chargers_status(runtime: Runtime, answer: str, status: int) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        charger.answers = [answer]
        refused = await api.put(LIST_URL, json=TWO_TAGS)
        stored = await api.get(LIST_URL)

    assert refused.status_code == status, refused.text
    assert ("NotSupported" if answer == "CallError" else answer) in refused.json()["detail"]
    assert stored.json()["version"] == 0


async def test_an_update_is_split_as_the_charger_asks_and_stored_as_far_as_accepted(runtime: Runtime) -> None:
    three = {"entries": [{"id_tag": tag, "status": "Accepted"} for tag in ("A", "B", "C")]}
    async with connected(runtime) as charger, operator(runtime) as api:
        charger.limits = {"SendLocalListMaxLength": "2", "LocalAuthListMaxLength": "3"}
        whole = await api.put(LIST_URL, json=three)
        charger.answers = ["Accepted", "Failed"]
        half = await api.put(LIST_URL, json={"entries": [{"id_tag": t, "status": "Blocked"} for t in ("X", "Y", "Z")]})
        too_long = await api.patch(LIST_URL, json={"upsert": [{"id_tag": t, "status": "Accepted"} for t in "VW"]})
        stored = await api.get(LIST_URL)

    assert whole.status_code == 200, whole.text
    assert [(m["updateType"], m["listVersion"], len(m["localAuthorizationList"])) for m in charger.sent] == [
        ("Full", 1, 2),
        ("Differential", 2, 1),
        ("Full", 3, 2),
        ("Differential", 4, 1),
    ]
    assert half.status_code == 502
    assert "version 3" in half.json()["detail"]
    assert too_long.status_code == 422
    assert stored.json()["version"] == charger.version == 3
    assert {e["id_tag"]: e["status"] for e in stored.json()["entries"]} == {"X": "Blocked", "Y": "Blocked"}
    assert set(charger.entries) == {"X", "Y"}


async def test_a_charger_without_the_actions_is_a_conflict(runtime: Runtime) -> None:
    """A charger without the Local Auth List Management profile answers CALLERROR NotImplemented."""
    async with library_charger(f"ws://127.0.0.1:{runtime.central.listening_port()}", CHARGER), operator(runtime) as api:
        await until("the charger is connected", lambda: CHARGER in runtime.central.connected_ids())
        refused = await api.put(LIST_URL, json=TWO_TAGS)

    assert refused.status_code == 409, refused.text
    assert "NotImplemented" in refused.json()["detail"]


async def test_a_silent_charger_is_a_gateway_timeout_and_changes_nothing_stored(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        charger.answers = ["Silent"]
        silent = await api.put(LIST_URL, json=TWO_TAGS)
        stored = await api.get(LIST_URL)

    assert silent.status_code == 504
    assert stored.json()["version"] == 0


async def test_a_charger_not_connected_is_a_conflict_and_an_unknown_one_not_found(runtime: Runtime) -> None:
    async with operator(runtime) as api:
        offline = await api.put(LIST_URL, json=TWO_TAGS)
        unknown = await api.get("/api/v1/charge-points/NOWHERE/local-list")
        version = await api.post(f"{LIST_URL}/version")

    assert offline.status_code == 409
    assert offline.json()["detail"] == f"charge point {CHARGER!r}: {CHARGER} is not connected"
    assert unknown.status_code == 404
    assert version.status_code == 409


async def test_a_tag_given_twice_is_refused_before_anything_is_sent(runtime: Runtime) -> None:
    async with connected(runtime) as charger, operator(runtime) as api:
        refused = await api.put(LIST_URL, json={"entries": [{"id_tag": "card"}, {"id_tag": "CARD"}]})

    assert refused.status_code == 422
    assert charger.sent == []
