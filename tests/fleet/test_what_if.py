"""What-if bookings and bookings by target state of charge, through the API on a migrated store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from fleet.runtime import Runtime
from tests.fleet.site_times import NIGHT_UTC

# The answers depend on the room the grid leaves at the hour: plan at night (see NIGHT_UTC).
pytestmark = pytest.mark.site_time(NIGHT_UTC)


async def _plug_in(runtime: Runtime, charger: str, vehicle_id: str) -> None:
    await runtime.store.start_transaction(charger, 1, f"RFID-{vehicle_id}", vehicle_id, 0.0, runtime.clock.now())


def _in_hours(runtime: Runtime, hours: float) -> str:
    return (runtime.clock.now() + timedelta(hours=hours)).isoformat()


async def test_what_if_answers_without_touching_the_booking_or_the_plan(
    runtime: Runtime, fleet_manager: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    now = runtime.clock.now()
    await _plug_in(runtime, "MI-DC-01", "CAR-01")
    await runtime.store.add_booking("CAR-01", now + timedelta(hours=6), 10.0, 1.0, now)
    plan = await runtime.control_loop.replan(("test",))
    runtime.triggers.take()
    bookings_before = await runtime.store.current_bookings()
    schedule_before = await runtime.store.latest_schedule()

    # 50 kWh in an hour: the DC charger's 50 kW meet the car's 85 kW limit, and 92 % reach the battery.
    short = await fleet_manager.post(
        "/api/v1/vehicles/CAR-01/what-if", json={"departure_at": _in_hours(runtime, 1), "energy_needed_kwh": 50}
    )
    easy = await fleet_manager.post(
        "/api/v1/vehicles/CAR-01/what-if", json={"departure_at": _in_hours(runtime, 8), "energy_needed_kwh": 30}
    )

    assert short.status_code == easy.status_code == 200, short.text
    s, e = short.json(), easy.json()
    assert (s["ready"], s["plugged_in"], s["connector_key"]) == (False, True, "MI-DC-01/1")
    assert s["expected_energy_kwh"] + s["unmet_energy_kwh"] == pytest.approx(50.0, abs=1e-3)
    assert s["unmet_energy_kwh"] >= 50 - 50 * 0.92 - 1e-3
    assert s["unmet_reason"] == "not_enough_time"
    assert (e["ready"], e["expected_energy_kwh"], e["unmet_energy_kwh"]) == (True, 30.0, 0.0)
    # Priced against the same site without the candidate: 30 kWh rather than the booking's 10 cost more.
    assert e["cost_change_eur"] == pytest.approx(e["cost_eur"] - e["baseline_cost_eur"])
    assert e["cost_change_eur"] > 0

    assert await runtime.store.current_bookings() == bookings_before
    assert await runtime.store.latest_schedule() == schedule_before
    assert runtime.control_loop.latest is plan
    assert runtime.triggers.take().reasons == ()
    audit = (await admin.get("/api/v1/audit")).json()
    assert any(entry["path"] == "/api/v1/vehicles/CAR-01/what-if" for entry in audit)


async def test_a_vehicle_not_plugged_in_is_planned_as_if_it_plugged_in_now(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    answer = await fleet_manager.post(
        "/api/v1/vehicles/CAR-01/what-if", json={"departure_at": _in_hours(runtime, 10), "target_soc": 0.5}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # CAR-01's battery is 52 kWh; with no state of charge reported it is taken as arriving empty.
    assert body["energy_needed_kwh"] == pytest.approx(26.0)
    assert (body["plugged_in"], body["ready"]) == (False, True)
    assert body["connector_key"] is not None
    assert await runtime.store.current_bookings() == {}


@pytest.mark.parametrize(
    "need",
    [{}, {"energy_needed_kwh": 10, "target_soc": 0.8}, {"target_soc": 0}, {"target_soc": 1.2}],
)
async def test_a_candidate_needs_exactly_one_valid_need(
    runtime: Runtime, fleet_manager: httpx.AsyncClient, need: dict[str, Any]
) -> None:
    answer = await fleet_manager.post(
        "/api/v1/vehicles/CAR-01/what-if", json={"departure_at": _in_hours(runtime, 3), **need}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


async def test_what_if_is_closed_to_other_fleets_and_refuses_the_past(
    runtime: Runtime, tokens: dict[str, str], fleet_manager: httpx.AsyncClient
) -> None:
    body = {"departure_at": _in_hours(runtime, 3), "energy_needed_kwh": 5}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.app),
        base_url="http://vettabbia.test",
        headers={"Authorization": f"Bearer {tokens['other_fleet_manager']}"},
    ) as other:
        assert (await other.post("/api/v1/vehicles/CAR-01/what-if", json=body)).status_code == 404
    past = {"departure_at": _in_hours(runtime, -1), "energy_needed_kwh": 5}
    assert (await fleet_manager.post("/api/v1/vehicles/CAR-01/what-if", json=past)).status_code == 422
    too_much = {"departure_at": _in_hours(runtime, 3), "energy_needed_kwh": 60}
    assert (await fleet_manager.post("/api/v1/vehicles/CAR-01/what-if", json=too_much)).status_code == 422


async def test_a_booking_by_target_soc_is_stored_and_planned_as_energy(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    await _plug_in(runtime, "MI-DC-01", "CAR-01")
    put = await fleet_manager.put(
        "/api/v1/vehicles/CAR-01/booking", json={"departure_at": _in_hours(runtime, 5), "target_soc": 0.75}
    )
    assert put.status_code == 200, put.text
    assert (put.json()["target_soc"], put.json()["energy_needed_kwh"]) == (0.75, None)
    stored = (await runtime.store.current_bookings())["CAR-01"]
    assert (stored.target_soc, stored.energy_needed_kwh) == (0.75, None)
    vehicle = (await fleet_manager.get("/api/v1/vehicles/CAR-01")).json()
    assert (vehicle["target_soc"], vehicle["energy_needed_kwh"]) == (0.75, None)

    result = await runtime.control_loop.replan(("test",))
    [plugged] = [p for p in result.plugged if p.vehicle_id == "CAR-01"]
    assert plugged.energy_needed_kwh == pytest.approx(0.75 * 52.0)

    both = await fleet_manager.put(
        "/api/v1/vehicles/CAR-01/booking",
        json={"departure_at": _in_hours(runtime, 5), "target_soc": 0.75, "energy_needed_kwh": 10},
    )
    assert both.status_code == 422
    assert (await runtime.store.current_bookings())["CAR-01"].target_soc == 0.75


async def test_a_batch_may_mix_energy_and_target_soc_bookings(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    departure = _in_hours(runtime, 4)
    batch = {
        "bookings": [
            {"vehicle_id": "CAR-01", "departure_at": departure, "energy_needed_kwh": 12},
            {"vehicle_id": "CAR-02", "departure_at": departure, "target_soc": 0.6},
        ]
    }
    stored = await fleet_manager.post("/api/v1/bookings/batch", json=batch)
    assert stored.status_code == 201, stored.text
    assert [(b["energy_needed_kwh"], b["target_soc"]) for b in stored.json()["bookings"]] == [(12.0, None), (None, 0.6)]
    both = {
        "bookings": [{"vehicle_id": "CAR-03", "departure_at": departure, "energy_needed_kwh": 1, "target_soc": 0.5}]
    }
    refused = await fleet_manager.post("/api/v1/bookings/batch", json=both)
    assert refused.status_code == 422
    assert "CAR-03" not in await runtime.store.current_bookings()
