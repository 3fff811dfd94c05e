"""The REST API against a real store: shapes, and bad requests answered with a 4xx and a message."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from fleet.runtime import Runtime
from tests.fleet.site_times import NIGHT_UTC


async def test_site_before_anything_connected(api: httpx.AsyncClient) -> None:
    site = (await api.get("/api/v1/site")).json()
    assert site["charge_points_total"] == 60
    assert site["charge_points_connected"] == 0
    assert site["vehicles_total"] == 72
    assert site["grid_import_limit_kw"] == 500
    assert site["ev_power_kw"] == 0
    assert 40 <= site["base_load_kw"] <= 120
    assert site["grid_import_kw"] == pytest.approx(max(0.0, site["base_load_kw"] - site["pv_kw"]), abs=0.01)


async def test_charge_points_are_listed_from_the_site_file(api: httpx.AsyncClient) -> None:
    charge_points = (await api.get("/api/v1/charge-points")).json()
    assert len(charge_points) == 60
    dc = next(cp for cp in charge_points if cp["id"] == "MI-DC-01")
    assert dc["kind"] == "DC"
    assert dc["rate_unit"] == "W"
    assert dc["connected"] is False
    assert dc["connectors"] == [
        {
            "connector_id": 1,
            "status": None,
            "error_code": None,
            "power_kw": None,
            "limit_kw": None,
            "transaction_id": None,
            "vehicle_id": None,
            "energy_kwh": None,
            "soc_percent": None,
            "installed_profile": None,
            "desired_profile_status": None,
            "ev_needs": None,
        }
    ]
    assert dc["external_limits"] == []
    assert dc["reported_capabilities"] is None
    missing = await api.get("/api/v1/charge-points/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "unknown charge point 'NOPE'",
        "instance": "/api/v1/charge-points/NOPE",
    }


async def test_no_schedule_yet_is_a_404_with_a_reason(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/v1/schedule")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no schedule yet"
    series = (await api.get("/api/v1/site/timeseries")).json()
    assert series["schedule"] is None
    assert series["horizon"]["slot_starts"] == []


async def test_schedule_is_served_after_a_plan(runtime: Runtime, api: httpx.AsyncClient) -> None:
    result = await runtime.control_loop.replan(("test",))
    schedule = (await api.get("/api/v1/schedule")).json()
    assert schedule["id"] == result.schedule_id
    assert schedule["status"] == "optimal"
    assert schedule["reasons"] == ["test"]
    assert schedule["connectors"] == []
    assert len(schedule["slot_starts"]) == len(schedule["slot_duration_h"]) >= 96


async def test_booking_round_trip_asks_for_a_new_plan(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    departure = runtime.clock.now() + timedelta(hours=5)
    answer = await admin.put(
        "/api/v1/vehicles/VAN-03/booking",
        json={"departure_at": departure.isoformat(), "energy_needed_kwh": 55.5, "priority": 4},
    )
    assert answer.status_code == 200, answer.text
    assert runtime.triggers.take().reasons == ("booking for VAN-03",)
    van = (await admin.get("/api/v1/vehicles/VAN-03")).json()
    assert van["energy_needed_kwh"] == 55.5
    assert van["priority"] == 4
    assert van["vehicle_class"] == "van"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/v1/vehicles/NOPE/booking", {"energy_needed_kwh": 5}, 404, "unknown vehicle 'NOPE'"),
        ("/api/v1/vehicles/CAR-01/booking", {"energy_needed_kwh": 5, "hours": -1}, 422, "is not in the future"),
        ("/api/v1/vehicles/CAR-01/booking", {"energy_needed_kwh": 500}, 422, "exceeds the battery (52.0 kWh)"),
        ("/api/v1/vehicles/CAR-01/booking", {"energy_needed_kwh": -1}, 422, "greater than or equal to 0"),
        ("/api/v1/vehicles/CAR-01/booking", {"energy_needed_kwh": 5, "naive": True}, 422, "timezone"),
        ("/api/v1/vehicles/CAR-01/booking", {"energy_needed_kwh": 5, "colour": "red"}, 422, "Extra inputs"),
    ],
)
async def test_bad_bookings_are_refused_with_a_reason(
    runtime: Runtime, fleet_manager: httpx.AsyncClient, path: str, body: dict[str, object], status: int, message: str
) -> None:
    departure = runtime.clock.now() + timedelta(hours=float(str(body.pop("hours", 3))))
    body["departure_at"] = (
        departure.replace(tzinfo=None).isoformat() if body.pop("naive", False) else departure.isoformat()
    )
    answer = await fleet_manager.put(path, json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert message in answer.json()["detail"]
    assert runtime.triggers.take().reasons == ()


async def test_unknown_session_and_vehicle_are_404(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/sessions/12345")).status_code == 404
    assert (await api.get("/api/v1/vehicles/NOPE")).status_code == 404
    assert (await api.get("/api/v1/sessions", params={"limit": 0})).status_code == 422
    assert (await api.get("/api/v1/sessions")).json() == []


async def test_openapi_documents_every_resource(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/site", "/api/v1/charge-points", "/api/v1/sessions", "/api/v1/vehicles", "/api/v1/schedule"):
        assert path in paths
    assert (await api.get("/docs")).status_code == 200


@pytest.mark.site_time(NIGHT_UTC)
async def test_yard_round_trip_and_a_recommendation_in_the_plan(runtime: Runtime, api: httpx.AsyncClient) -> None:
    departure = runtime.clock.now() + timedelta(hours=4)
    body = {"departure_at": departure.isoformat(), "energy_needed_kwh": 30, "priority": 3}
    assert (await api.put("/api/v1/yard/NOPE", json=body)).status_code == 404
    waiting = await api.put("/api/v1/yard/VAN-02", json=body)
    assert waiting.status_code == 200, waiting.text
    assert [w["vehicle_id"] for w in (await api.get("/api/v1/yard")).json()] == ["VAN-02"]
    assert "VAN-02 waiting for a charger" in runtime.triggers.take().reasons

    await runtime.control_loop.replan(("test",))
    schedule = (await api.get("/api/v1/schedule")).json()
    [first, *_] = schedule["recommendations"]
    assert first["vehicle_id"] == "VAN-02"
    assert first["rank"] == 1
    assert first["connector_key"].startswith("MI-")
    assert 0 < first["deliverable_energy_kwh"] <= 30 + 1e-6  # at most its need, within what the grid leaves
    assert schedule["dispatchable"] is True

    assert (await api.delete("/api/v1/yard/VAN-02")).status_code == 204
    assert (await api.delete("/api/v1/yard/VAN-02")).status_code == 404
    assert (await api.get("/api/v1/yard")).json() == []
