"""Several RFID cards per vehicle: stored, found by any of them, never shared between vehicles."""

from __future__ import annotations

import httpx

from fleet.runtime import Runtime

NEW_CAR = {
    "id": "CAR-77",
    "fleet": "car-sharing",
    "vehicle_class": "car",
    "name": "Renault 5 E-Tech",
    "battery_kwh": 52,
    "max_ac_kw": 11,
    "max_dc_kw": 80,
    "id_tag": "RFID-CAR-77",
    "extra_id_tags": ["DRIVER-ANNA", "SPARE-77"],
}


async def test_a_vehicle_is_found_by_every_one_of_its_tags(runtime: Runtime, fleet_manager: httpx.AsyncClient) -> None:
    created = await fleet_manager.post("/api/v1/vehicles", json=NEW_CAR)
    assert created.status_code == 201, created.text
    assert created.json()["extra_id_tags"] == ["DRIVER-ANNA", "SPARE-77"]
    for id_tag in ("RFID-CAR-77", "DRIVER-ANNA", "SPARE-77"):
        found = await runtime.store.vehicle_by_id_tag(id_tag)
        assert found is not None, id_tag
        assert found.id == "CAR-77"
    assert (await fleet_manager.get("/api/v1/vehicles/CAR-77")).json()["extra_id_tags"] == ["DRIVER-ANNA", "SPARE-77"]
    listed = {v["id"]: v for v in (await fleet_manager.get("/api/v1/vehicles")).json()}
    assert listed["CAR-77"]["extra_id_tags"] == ["DRIVER-ANNA", "SPARE-77"]
    assert listed["CAR-01"]["extra_id_tags"] == []


async def test_tags_are_replaced_by_a_patch_and_go_with_the_vehicle(
    runtime: Runtime, fleet_manager: httpx.AsyncClient
) -> None:
    await fleet_manager.post("/api/v1/vehicles", json=NEW_CAR)
    patched = await fleet_manager.patch("/api/v1/vehicles/CAR-77", json={"extra_id_tags": ["SPARE-78"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["extra_id_tags"] == ["SPARE-78"]
    assert await runtime.store.vehicle_by_id_tag("DRIVER-ANNA") is None
    # A patch without the list keeps it.
    renamed = await fleet_manager.patch("/api/v1/vehicles/CAR-77", json={"name": "R5"})
    assert renamed.json()["extra_id_tags"] == ["SPARE-78"]
    assert (await fleet_manager.delete("/api/v1/vehicles/CAR-77")).status_code == 204
    assert await runtime.store.vehicle_by_id_tag("SPARE-78") is None
    # The freed card can go to another vehicle.
    again = await fleet_manager.post(
        "/api/v1/vehicles", json={**NEW_CAR, "id": "CAR-78", "extra_id_tags": ["SPARE-78"]}
    )
    assert again.status_code == 201, again.text


async def test_a_tag_held_by_another_vehicle_is_a_conflict(runtime: Runtime, fleet_manager: httpx.AsyncClient) -> None:
    await fleet_manager.post("/api/v1/vehicles", json=NEW_CAR)
    # Another vehicle's first tag, and another vehicle's further tag, in either role.
    as_extra = await fleet_manager.patch("/api/v1/vehicles/CAR-02", json={"extra_id_tags": ["RFID-CAR-01"]})
    extra_as_extra = await fleet_manager.patch("/api/v1/vehicles/CAR-02", json={"extra_id_tags": ["SPARE-77"]})
    extra_as_first = await fleet_manager.patch("/api/v1/vehicles/CAR-02", json={"id_tag": "DRIVER-ANNA"})
    assert [a.status_code for a in (as_extra, extra_as_extra, extra_as_first)] == [409, 409, 409]
    assert as_extra.headers["content-type"] == "application/problem+json"
    car_02 = await runtime.store.fleet.get_vehicle("CAR-02")
    assert car_02 is not None
    assert car_02.id_tags == ("RFID-CAR-02",)


async def test_repeated_or_invalid_tags_are_refused(fleet_manager: httpx.AsyncClient) -> None:
    repeated = await fleet_manager.post("/api/v1/vehicles", json={**NEW_CAR, "extra_id_tags": ["A", "A"]})
    first_again = await fleet_manager.post("/api/v1/vehicles", json={**NEW_CAR, "extra_id_tags": ["RFID-CAR-77"]})
    too_long = await fleet_manager.post("/api/v1/vehicles", json={**NEW_CAR, "extra_id_tags": ["X" * 21]})
    assert [a.status_code for a in (repeated, first_again, too_long)] == [422, 422, 422]
    assert (await fleet_manager.get("/api/v1/vehicles/CAR-77")).status_code == 404
