"""Local authorisation lists through the API to a 2.0.1 station on a real websocket (block D: D01, D02).

The station (``tests.ocpp_server.v201.station``) checks each call against the 2.0.1 schema and keeps
its own list and version as 2.0.1 describes (a Differential update whose version is not above its
own is a VersionMismatch), so the tests compare what it holds with what is stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet import local_lists_v201
from fleet.local_lists import LocalListLimits, full_update_messages
from fleet.persistence.id_tag_records import LocalListEntry
from fleet.runtime import Runtime
from ocpp_server.ports import IdTagInfo, IdTagStatus
from tests.fleet.station201_support import connected_station, serving_runtime, signed_in

CHARGER = "MI-AC-01"
LIST_URL = f"/api/v1/charge-points/{CHARGER}/local-list"
ITEMS_PER_MESSAGE = ("LocalAuthListCtrlr", "ItemsPerMessage", None)
BYTES_PER_MESSAGE = ("LocalAuthListCtrlr", "BytesPerMessage", None)

TWO_TAGS = {
    "entries": [
        {"id_tag": "DRIVER-7", "status": "Accepted", "expiry_date": "2030-01-01T00:00:00Z", "parent_id_tag": "DEPOT"},
        {"id_tag": "RFID-CAR-01"},
    ]
}
"""One tag with its IdTagInfo, one (a vehicle's card) whose IdTagInfo comes from the central system."""


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with serving_runtime(database_url) as rt:
        yield rt


def _token(id_tag: str) -> dict[str, str]:
    return {"idToken": id_tag, "type": "Central"}


def _sent_lists(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [payload for action, payload in calls if action == "SendLocalList"]


async def test_tc_d_01_a_full_local_list_reaches_the_station_in_201_shape(runtime: Runtime) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        answer = await api.put(LIST_URL, json=TWO_TAGS)
        stored = await api.get(LIST_URL)

    assert answer.status_code == 200, answer.text
    assert station.calls == [
        (
            "GetVariables",
            {
                "getVariableData": [
                    {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "ItemsPerMessage"}},
                    {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": "BytesPerMessage"}},
                ]
            },
        ),
        (
            "SendLocalList",
            {
                "versionNumber": 1,
                "updateType": "Full",
                "localAuthorizationList": [
                    {
                        "idToken": _token("DRIVER-7"),
                        "idTokenInfo": {
                            "status": "Accepted",
                            "cacheExpiryDateTime": "2030-01-01T00:00:00.000Z",
                            "groupIdToken": _token("DEPOT"),
                        },
                    },
                    {"idToken": _token("RFID-CAR-01"), "idTokenInfo": {"status": "Accepted"}},
                ],
            },
        ),
    ]
    assert station.local_list_version == stored.json()["version"] == 1
    assert set(station.local_list) == {"DRIVER-7", "RFID-CAR-01"}
    assert stored.json() == answer.json()


async def test_tc_d_01_differential_update_and_d_02_version_check(runtime: Runtime) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        await api.put(LIST_URL, json=TWO_TAGS)
        changed = await api.patch(
            LIST_URL, json={"upsert": [{"id_tag": "NEW-CARD", "status": "Blocked"}], "remove": ["driver-7"]}
        )
        version = await api.post(f"{LIST_URL}/version")
        station.local_list_version = 7
        elsewhere = await api.post(f"{LIST_URL}/version")

    assert changed.status_code == 200, changed.text
    assert _sent_lists(station.calls)[-1] == {
        "versionNumber": 2,
        "updateType": "Differential",
        "localAuthorizationList": [
            {"idToken": _token("NEW-CARD"), "idTokenInfo": {"status": "Blocked"}},
            {"idToken": _token("driver-7")},
        ],
    }
    assert ("GetLocalListVersion", {}) in station.calls
    assert [e["id_tag"] for e in changed.json()["entries"]] == ["NEW-CARD", "RFID-CAR-01"]
    assert version.json() == {"charge_point_id": CHARGER, "stored_version": 2, "charger_version": 2, "matches": True}
    assert elsewhere.json()["matches"] is False


async def test_tc_d_01_an_emptied_list_is_a_full_update_without_entries(runtime: Runtime) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        await api.put(LIST_URL, json=TWO_TAGS)
        emptied = await api.put(LIST_URL, json={"entries": []})

    assert emptied.status_code == 200, emptied.text
    assert _sent_lists(station.calls)[-1] == {"versionNumber": 2, "updateType": "Full"}
    assert station.local_list == {}


async def test_an_update_is_split_to_the_stations_items_per_message(runtime: Runtime) -> None:
    three = {"entries": [{"id_tag": tag, "status": "Accepted"} for tag in ("A", "B", "C")]}
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        station.variables[ITEMS_PER_MESSAGE] = "2"
        answer = await api.put(LIST_URL, json=three)

    assert answer.status_code == 200, answer.text
    sent = _sent_lists(station.calls)
    assert [(m["updateType"], m["versionNumber"], len(m["localAuthorizationList"])) for m in sent] == [
        ("Full", 1, 2),
        ("Differential", 2, 1),
    ]
    assert set(station.local_list) == {"A", "B", "C"}
    assert answer.json()["version"] == station.local_list_version == 2


async def test_an_update_is_split_to_the_stations_bytes_per_message(runtime: Runtime) -> None:
    max_bytes = 400
    tags = {"entries": [{"id_tag": f"CARD-{n:04d}", "status": "Accepted"} for n in range(8)]}
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        station.variables[BYTES_PER_MESSAGE] = str(max_bytes)
        answer = await api.put(LIST_URL, json=tags)

    assert answer.status_code == 200, answer.text
    sent = _sent_lists(station.calls)
    # The frame as the central system writes it: compact JSON, a 36-character message id.
    frames = [json.dumps([2, "x" * 36, "SendLocalList", m], separators=(",", ":")) for m in sent]
    assert len(sent) > 1
    assert all(len(frame.encode()) <= max_bytes for frame in frames)
    assert sum(len(m["localAuthorizationList"]) for m in sent) == 8
    assert len(station.local_list) == 8


@pytest.mark.parametrize(("answer", "status"), [("Failed", 502), ("VersionMismatch", 409)])
async def test_a_refused_update_names_the_stations_status_and_changes_nothing_stored(
    runtime: Runtime, answer: str, status: int
) -> None:
    async with connected_station(runtime, CHARGER) as station, signed_in(runtime, "operator") as api:
        station.local_list_answers = [answer]
        refused = await api.put(LIST_URL, json=TWO_TAGS)
        stored = await api.get(LIST_URL)

    assert refused.status_code == status, refused.text
    assert answer in refused.json()["detail"]
    assert stored.json()["version"] == 0
    assert station.local_list == {}


@given(
    id_tags=st.lists(st.text(alphabet="ABCDEFGHIJ0123456789-", min_size=1, max_size=20), max_size=30, unique=True),
    items=st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
    max_bytes=st.one_of(st.none(), st.integers(min_value=150, max_value=2000)),
)
def test_a_split_update_keeps_every_entry_in_order_within_the_stations_limits(
    id_tags: list[str], items: int | None, max_bytes: int | None
) -> None:
    entries = [LocalListEntry(tag, IdTagInfo(IdTagStatus.ACCEPTED)) for tag in id_tags]
    limits = LocalListLimits(send_max_entries=items, send_max_bytes=max_bytes)

    messages = full_update_messages(entries, 4, limits, local_lists_v201.message_size())

    assert [change.id_tag for m in messages for change in m.changes] == id_tags
    assert [m.version for m in messages] == list(range(5, 5 + len(messages)))
    for message in messages:
        frame = json.dumps(
            [2, "x" * 36, "SendLocalList", local_lists_v201.wire_payload(message)], separators=(",", ":")
        )
        assert items is None or len(message.changes) <= items
        assert max_bytes is None or len(frame.encode()) <= max_bytes or len(message.changes) == 1
