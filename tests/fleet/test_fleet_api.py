"""Vehicles, bulk bookings, readiness, temporary grid limits, alerts, exports and the event stream."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import httpx
import pyarrow.parquet as pq
import pytest

from fleet.grid_limits import limit_now_kw, slot_caps_kw
from fleet.persistence.records import GridLimitRecord
from fleet.runtime import Runtime
from tests.fleet.event_stream_reader import open_event_stream
from tests.fleet.site_times import NIGHT_UTC

EVENT_WAIT_S = 10.0
"""Longest wait for one event of the stream [s]: its state at once, a change within a second."""

NEW_CAR = {
    "id": "CAR-99",
    "fleet": "car-sharing",
    "vehicle_class": "car",
    "name": "Dacia Spring",
    "battery_kwh": 27,
    "max_ac_kw": 7,
    "max_dc_kw": 30,
    "id_tag": "RFID-CAR-99",
    "iso15118_id": "ITVET00000099",
}


async def test_a_vehicle_is_added_changed_and_removed(runtime: Runtime, fleet_manager: httpx.AsyncClient) -> None:
    created = await fleet_manager.post("/api/v1/vehicles", json=NEW_CAR)
    assert created.status_code == 201, created.text
    assert created.json()["iso15118_id"] == "ITVET00000099"
    assert runtime.triggers.take().reasons == ("vehicle CAR-99 added",)
    assert (await fleet_manager.post("/api/v1/vehicles", json=NEW_CAR)).status_code == 409
    same_tag = await fleet_manager.post("/api/v1/vehicles", json={**NEW_CAR, "id": "CAR-98", "id_tag": "RFID-CAR-01"})
    assert same_tag.status_code == 409
    assert "'RFID-CAR-01' belongs to vehicle 'CAR-01'" in same_tag.json()["detail"]
    other_fleet = await fleet_manager.post("/api/v1/vehicles", json={**NEW_CAR, "id": "VAN-99", "fleet": "e-logistics"})
    assert other_fleet.status_code == 403

    changed = await fleet_manager.patch("/api/v1/vehicles/CAR-99", json={"battery_kwh": 26.8, "max_ac_kw": 6.6})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["battery_kwh"], changed.json()["max_ac_kw"], changed.json()["name"]) == (
        26.8,
        6.6,
        "Dacia Spring",
    )
    refused = await fleet_manager.patch("/api/v1/vehicles/CAR-99", json={"battery_kwh": 0})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["body.battery_kwh"]

    assert (await fleet_manager.delete("/api/v1/vehicles/CAR-99")).status_code == 204
    assert (await fleet_manager.get("/api/v1/vehicles/CAR-99")).status_code == 404
    assert (await fleet_manager.delete("/api/v1/vehicles/CAR-99")).status_code == 404


async def test_vehicle_lists_filter_and_page(admin: httpx.AsyncClient) -> None:
    vans = (await admin.get("/api/v1/vehicles", params={"vehicle_class": "van"})).json()
    assert [v["id"] for v in vans] == [f"VAN-{n:02d}" for n in range(1, 11)]
    page = (await admin.get("/api/v1/vehicles", params={"fleet": "car-sharing", "limit": 2, "offset": 3})).json()
    assert [v["id"] for v in page] == ["CAR-04", "CAR-05"]
    dc = (await admin.get("/api/v1/charge-points", params={"kind": "DC", "limit": 5})).json()
    assert len(dc) == 5
    assert {cp["kind"] for cp in dc} == {"DC"}


async def test_a_batch_of_bookings_is_stored_whole_with_one_replan(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    departure = (runtime.clock.now() + timedelta(hours=3)).isoformat()
    items = [{"vehicle_id": f"CAR-0{n}", "departure_at": departure, "energy_needed_kwh": 10 + n} for n in (1, 2, 3)]
    answer = await fleet_manager.post("/api/v1/bookings/batch", json={"bookings": items})
    assert answer.status_code == 201, answer.text
    assert answer.json()["stored"] == 3
    assert runtime.triggers.take().reasons == ("3 bookings",)
    stored = await runtime.store.current_bookings()
    assert {v: b.energy_needed_kwh for v, b in stored.items()} == {"CAR-01": 11, "CAR-02": 12, "CAR-03": 13}


async def test_one_bad_booking_refuses_the_batch_naming_each_field(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    departure = (runtime.clock.now() + timedelta(hours=3)).isoformat()
    items = [
        {"vehicle_id": "CAR-01", "departure_at": departure, "energy_needed_kwh": 10},
        {"vehicle_id": "VAN-01", "departure_at": departure, "energy_needed_kwh": 10},
        {"vehicle_id": "CAR-02", "departure_at": departure, "energy_needed_kwh": 400},
    ]
    answer = await fleet_manager.post("/api/v1/bookings/batch", json={"bookings": items})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [
        "body.bookings.1.vehicle_id",
        "body.bookings.2.energy_needed_kwh",
    ]
    assert await runtime.store.current_bookings() == {}
    assert runtime.triggers.take().reasons == ()


async def _plug_in(runtime: Runtime, charger: str, vehicle_id: str) -> None:
    await runtime.store.start_transaction(charger, 1, f"RFID-{vehicle_id}", vehicle_id, 0.0, runtime.clock.now())


@pytest.mark.site_time(NIGHT_UTC)
async def test_readiness_under_the_current_plan(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/api/v1/vehicles/VAN-03/readiness")).json()["status"] == "no_plan"
    now = runtime.clock.now()
    await _plug_in(runtime, "MI-DC-01", "VAN-03")
    await _plug_in(runtime, "MI-DC-02", "VAN-04")
    # 60 kWh in 1 h through 50 kW cannot be done; 20 kWh in 6 h can.
    await runtime.store.add_booking("VAN-03", now + timedelta(hours=1), 60.0, 3.0, now)
    await runtime.store.add_booking("VAN-04", now + timedelta(hours=6), 20.0, 3.0, now)
    await runtime.control_loop.replan(("test",))

    short = (await admin.get("/api/v1/vehicles/VAN-03/readiness")).json()
    assert short["status"] == "at_risk"
    assert short["unmet_reason"] == "not_enough_time"
    assert short["planned_energy_kwh"] + short["unmet_energy_kwh"] == 60.0
    assert short["unmet_energy_kwh"] >= 60 - 50 * 0.92 - 1e-6
    ready = (await admin.get("/api/v1/vehicles/VAN-04/readiness")).json()
    assert (ready["status"], ready["planned_energy_kwh"], ready["connector_key"]) == ("ready", 20.0, "MI-DC-02/1")
    everyone = {r["vehicle_id"]: r["status"] for r in (await admin.get("/api/v1/readiness")).json()}
    assert len(everyone) == 72
    assert everyone["CAR-01"] == "not_plugged_in"
    at_risk = (await admin.get("/api/v1/readiness", params={"status": "at_risk"})).json()
    assert [r["vehicle_id"] for r in at_risk] == ["VAN-03"]

    alerts = (await admin.get("/api/v1/alerts", params={"kind": "vehicle_at_risk"})).json()
    assert [a["vehicle_id"] for a in alerts] == ["VAN-03"]


async def test_a_temporary_grid_limit_reaches_the_plan_and_expires(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    ends_at = now + timedelta(hours=2)
    answer = await api.post(
        "/api/v1/site/grid-limits", json={"limit_kw": 100, "ends_at": ends_at.isoformat(), "reason": "DSO request"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["created_by"] == "otto"
    assert "grid limit 100 kW" in runtime.triggers.take().reasons[0]
    assert (await api.get("/api/v1/site")).json()["import_limit_now_kw"] == 100

    await _plug_in(runtime, "MI-DC-01", "VAN-03")
    result = await runtime.control_loop.replan(("test",))
    # 59 idle connectors keep 6.3 kW each off the 500 kW connection (128.3 kW left): the temporary
    # 100 kW is lower, so it binds until it expires; both lose the 20 kW margin.
    margin_kw = runtime.site.planning.grid_margin_kw
    connection_kw = 500 - 59 * runtime.site.planning.failsafe_limit_kw
    limits = result.problem.grid_import_limit_kw
    ends = [
        start + timedelta(hours=h)
        for start, h in zip(result.problem.slot_starts_utc, result.problem.slot_duration_h, strict=True)
    ]
    during = [lim for lim, end in zip(limits, ends, strict=True) if end <= ends_at]
    after = [lim for lim, start in zip(limits, result.problem.slot_starts_utc, strict=True) if start >= ends_at]
    assert len(during) >= 7
    assert set(during) == {100 - margin_kw}
    assert after == pytest.approx([connection_kw - margin_kw] * len(after))
    assert after

    limit_id = answer.json()["id"]
    assert (await api.delete(f"/api/v1/site/grid-limits/{limit_id}")).status_code == 204
    assert (await api.get("/api/v1/site/grid-limits")).json() == []
    assert (await api.delete(f"/api/v1/site/grid-limits/{limit_id}")).status_code == 404
    past = await api.post("/api/v1/site/grid-limits", json={"limit_kw": 150, "ends_at": now.isoformat()})
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "body.ends_at"


def test_a_limit_caps_every_slot_it_touches_and_the_lowest_wins() -> None:
    t0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    starts = [t0 + timedelta(minutes=15 * i) for i in range(4)]
    limits = [
        GridLimitRecord(1, 200.0, t0 + timedelta(minutes=20), t0 + timedelta(minutes=40), "", "dso", t0),
        GridLimitRecord(2, 120.0, t0 + timedelta(minutes=35), t0 + timedelta(minutes=45), "", "dso", t0),
    ]
    assert slot_caps_kw(limits, starts, [0.25] * 4) == (math.inf, 200.0, 120.0, math.inf)
    assert slot_caps_kw([], starts, [0.25] * 4) is None
    assert limit_now_kw(500.0, limits, t0 + timedelta(minutes=36)) == 120.0
    assert limit_now_kw(500.0, limits, t0 + timedelta(minutes=45)) == 500.0


async def test_alerts_put_faults_first(runtime: Runtime, api: httpx.AsyncClient) -> None:
    await runtime.store.record_connector_status("MI-AC-07", 1, "Faulted", "GroundFailure", runtime.clock.now())
    alerts = (await api.get("/api/v1/alerts")).json()
    assert alerts[0]["kind"] == "charger_fault"
    assert alerts[0]["severity"] == "critical"
    assert "GroundFailure" in alerts[0]["message"]
    assert sum(a["kind"] == "charger_offline" for a in alerts) == 60


async def test_sessions_export_as_csv_and_parquet(runtime: Runtime, api: httpx.AsyncClient) -> None:
    await _plug_in(runtime, "MI-DC-01", "VAN-03")
    await _plug_in(runtime, "MI-AC-01", "CAR-01")
    csv = await api.get("/api/v1/sessions/export", params={"format": "csv"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    header, *rows = csv.text.splitlines()
    assert header == (
        "id,charge_point_id,connector_id,id_tag,vehicle_id,started_at,stopped_at,energy_kwh,cost_eur,stop_reason"
    )
    assert len(rows) == 2
    assert "+00:00" in rows[0]
    parquet = await api.get("/api/v1/sessions/export", params={"format": "parquet", "vehicle_id": "VAN-03"})
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("vehicle_id").to_pylist() == ["VAN-03"]
    assert str(table.schema.field("started_at").type) == "timestamp[us, tz=UTC]"


async def test_the_event_stream_sends_the_state_then_its_changes(
    runtime: Runtime, api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    async with open_event_stream(runtime.app, "/api/v1/events", tokens["operator"]) as stream:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        state = [(await stream.next_event(EVENT_WAIT_S)).splitlines() for _ in range(5)]
        assert [lines[0] for lines in state] == [
            "event: schedule",
            "event: charge-points",
            "event: sessions",
            "event: yard",
            "event: grid-limits",
        ]
        assert state[3][1] == 'data: {"waiting":[]}'
        # Changed only once the state is out, so that the change can only come as an event of its own.
        answer = await api.put(
            "/api/v1/yard/VAN-02",
            json={"departure_at": (runtime.clock.now() + timedelta(hours=2)).isoformat(), "energy_needed_kwh": 5},
        )
        assert answer.status_code == 200, answer.text
        assert (await stream.next_event(EVENT_WAIT_S)).splitlines() == ["event: yard", 'data: {"waiting":["VAN-02"]}']


async def test_an_open_event_stream_ends_when_the_application_stops(runtime: Runtime, tokens: dict[str, str]) -> None:
    async with open_event_stream(runtime.app, "/api/v1/events", tokens["operator"]) as stream:
        first = [(await stream.next_event(EVENT_WAIT_S)).splitlines()[0] for _ in range(2)]
        assert first == ["event: schedule", "event: charge-points"]
        runtime.stop()
        # The rest of the state may still come; then the response ends, within seconds.
        rest = await stream.rest(timeout_s=5)
    assert {event.splitlines()[0] for event in rest} <= {"event: sessions", "event: yard", "event: grid-limits"}
