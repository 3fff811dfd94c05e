"""What the operator page's charger view reads: one charger's log, its recent OCPP frames and its sessions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from fleet.runtime import Runtime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_the_log_of_one_charger_newest_first(runtime: Runtime, api: httpx.AsyncClient) -> None:
    await runtime.store.add_charger_log("MI-AC-01", T0, "FirmwareStatus", "Downloading")
    await runtime.store.add_charger_log(
        "MI-AC-01", T0 + timedelta(minutes=1), "SecurityEvent", "TamperDetectionActivated", flagged=True, detail="lid"
    )
    await runtime.store.add_charger_log("MI-DC-01", T0 + timedelta(minutes=2), "LogStatus", "Uploaded", request_id=7)

    lines = (await api.get("/api/v1/charge-points/MI-AC-01/log")).json()
    flagged = (await api.get("/api/v1/charge-points/MI-AC-01/log", params={"flagged": True})).json()
    newest = (await api.get("/api/v1/charge-points/MI-AC-01/log", params={"limit": 1})).json()

    assert [(line["kind"], line["status"], line["flagged"]) for line in lines] == [
        ("SecurityEvent", "TamperDetectionActivated", True),
        ("FirmwareStatus", "Downloading", False),
    ]
    assert lines[0]["detail"] == "lid"
    assert datetime.fromisoformat(lines[0]["at"]) == T0 + timedelta(minutes=1)
    assert [line["kind"] for line in flagged] == ["SecurityEvent"]
    assert newest == lines[:1]


async def test_the_log_of_an_unknown_charger_is_404(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/v1/charge-points/NOPE/log")
    assert answer.status_code == 404
    assert "NOPE" in answer.json()["detail"]
    assert (await api.get("/api/v1/charge-points/MI-AC-01/log", params={"limit": 0})).status_code == 422


async def test_sessions_can_be_narrowed_to_one_charger(runtime: Runtime, api: httpx.AsyncClient) -> None:
    first = await runtime.store.start_transaction("MI-AC-01", 1, "RFID-A", None, 0.0, T0)
    await runtime.store.start_transaction("MI-AC-02", 1, "RFID-B", None, 0.0, T0 + timedelta(minutes=5))
    later = await runtime.store.start_transaction("MI-AC-01", 1, "RFID-C", None, 0.0, T0 + timedelta(minutes=9))

    mine = (await api.get("/api/v1/sessions", params={"charge_point_id": "MI-AC-01"})).json()
    everyone = (await api.get("/api/v1/sessions")).json()

    assert [s["id"] for s in mine] == [later, first]
    assert len(everyone) == 3


async def test_a_fleet_manager_learns_the_site_time_zone(fleet_manager: httpx.AsyncClient) -> None:
    me = (await fleet_manager.get("/api/v1/auth/me")).json()
    assert me["role"] == "fleet_manager"
    assert me["site_timezone"] == "Europe/Rome"
    # The site itself stays closed to a fleet manager.
    assert (await fleet_manager.get("/api/v1/site")).status_code == 403


async def test_the_recent_frames_of_a_charger_newest_first_as_on_the_wire(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    ready = asyncio.Event()
    server = asyncio.create_task(runtime.central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        url = f"ws://127.0.0.1:{runtime.central.listening_port()}/MI-AC-01"
        async with connect(url, subprotocols=[Subprotocol("ocpp1.6")]) as ws:
            await ws.send('[2,"hb-1","Heartbeat",{}]')
            await ws.recv()
        frames = (await api.get("/api/v1/charge-points/MI-AC-01/frames")).json()
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)

    assert [(f["direction"], f["message_type"], f["unique_id"], f["action"]) for f in frames] == [
        ("sent", "CALLRESULT", "hb-1", None),
        ("received", "CALL", "hb-1", "Heartbeat"),
    ]
    assert frames[1]["frame"] == '[2,"hb-1","Heartbeat",{}]'
    assert (await api.get("/api/v1/charge-points/NOPE/frames")).status_code == 404
