"""What an operator reads of a 2.0.1 charger's reports: the vehicle's ISO 15118 needs on its connector,
the limits others set on the charger, and whether the plan took the vehicle's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fleet.persistence.records import ExternalLimitRecord
from fleet.runtime import Runtime
from ocpp_server.events import EvChargingNeeds

STATION = "MI-DC-01"
OTHER = "MI-DC-02"


def _at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _needs(now: datetime, energy_kwh: float | None = 42.0) -> EvChargingNeeds:
    return EvChargingNeeds(
        STATION,
        1,
        "DC",
        now - timedelta(minutes=5),
        departure_at=now + timedelta(hours=6),
        energy_amount_kwh=energy_kwh,
        max_power_kw=45.0,
        soc_percent=38.0,
        capacity_kwh=77.0,
    )


async def _plug_in(runtime: Runtime, now: datetime) -> int:
    """An unknown vehicle on the station since 10 minutes, which then states its needs."""
    tx = await runtime.store.start_transaction(STATION, 1, "EMAID-1", None, 100.0, now - timedelta(minutes=10))
    assert await runtime.store.charger_inputs.record_ev_needs(_needs(now)) == tx
    return tx


async def _limit(
    runtime: Runtime, connector_id: int, source: str, limit_kw: float, grid_critical: bool, at: datetime
) -> None:
    limit = ExternalLimitRecord(STATION, connector_id, source, limit_kw, grid_critical, at)
    assert await runtime.store.charger_inputs.set_external_limit(limit)


async def test_the_vehicles_needs_are_shown_on_its_connector(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    tx = await _plug_in(runtime, now)

    station = (await api.get(f"/api/v1/charge-points/{STATION}")).json()
    listed = (await api.get("/api/v1/charge-points")).json()

    [connector] = station["connectors"]
    assert connector["transaction_id"] == tx
    needs = connector["ev_needs"]
    assert set(needs) == {"energy_amount_kwh", "departure_at", "max_power_kw", "soc_percent", "reported_at"}
    assert (needs["energy_amount_kwh"], needs["max_power_kw"], needs["soc_percent"]) == (42.0, 45.0, 38.0)
    assert _at(needs["departure_at"]) == now + timedelta(hours=6)
    assert _at(needs["reported_at"]) == now - timedelta(minutes=5)
    assert next(cp for cp in listed if cp["id"] == STATION)["connectors"] == station["connectors"]
    # Other chargers' connectors, idle or charging without ISO 15118, say nothing.
    assert all(c["ev_needs"] is None for cp in listed if cp["id"] != STATION for c in cp["connectors"])


async def test_figures_the_vehicle_did_not_give_are_null(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    await runtime.store.start_transaction(STATION, 1, "EMAID-1", None, 100.0, now - timedelta(minutes=10))
    await runtime.store.charger_inputs.record_ev_needs(EvChargingNeeds(STATION, 1, "DC", now))

    [connector] = (await api.get(f"/api/v1/charge-points/{STATION}")).json()["connectors"]

    needs = connector["ev_needs"]
    assert {**needs, "reported_at": _at(needs["reported_at"])} == {
        "energy_amount_kwh": None,
        "departure_at": None,
        "max_power_kw": None,
        "soc_percent": None,
        "reported_at": now,
    }


async def test_the_needs_end_with_the_transaction(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    tx = await _plug_in(runtime, now)
    assert await runtime.store.stop_transaction(tx, 130.0, now, "EVDisconnected", ())

    [connector] = (await api.get(f"/api/v1/charge-points/{STATION}")).json()["connectors"]

    assert (connector["transaction_id"], connector["ev_needs"]) == (None, None)


async def test_standing_limits_are_listed_per_connector_and_source(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now().astimezone(UTC)
    await _limit(runtime, 0, "SO", 20.0, True, now - timedelta(minutes=30))
    await _limit(runtime, 1, "EMS", 35.5, False, now - timedelta(minutes=2))
    other = ExternalLimitRecord(OTHER, 1, "CSO", 10.0, False, now)
    assert await runtime.store.charger_inputs.set_external_limit(other)

    limits = (await api.get(f"/api/v1/charge-points/{STATION}")).json()["external_limits"]
    listed = {cp["id"]: cp["external_limits"] for cp in (await api.get("/api/v1/charge-points")).json()}

    assert [{**limit, "since": _at(limit["since"])} for limit in limits] == [
        {
            "connector_id": 0,
            "source": "SO",
            "limit_kw": 20.0,
            "grid_critical": True,
            "since": now - timedelta(minutes=30),
        },
        {
            "connector_id": 1,
            "source": "EMS",
            "limit_kw": 35.5,
            "grid_critical": False,
            "since": now - timedelta(minutes=2),
        },
    ]
    assert listed[STATION] == limits
    assert [limit["source"] for limit in listed[OTHER]] == ["CSO"]
    assert listed["MI-AC-01"] == []


async def test_a_cleared_limit_is_no_longer_listed(runtime: Runtime, api: httpx.AsyncClient) -> None:
    now = runtime.clock.now()
    await _limit(runtime, 0, "SO", 20.0, True, now - timedelta(minutes=30))
    await _limit(runtime, 1, "EMS", 35.5, False, now - timedelta(minutes=2))

    # Clearing the whole station ends that source's limits on every connector, and only that source's.
    assert await runtime.store.charger_inputs.clear_external_limit(STATION, 0, "SO", now) == 1

    limits = (await api.get(f"/api/v1/charge-points/{STATION}")).json()["external_limits"]
    assert [(limit["connector_id"], limit["source"]) for limit in limits] == [(1, "EMS")]


async def test_the_plan_names_the_vehicle_as_the_source_of_its_departure_and_energy(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    now = runtime.clock.now()
    tx = await _plug_in(runtime, now)

    await runtime.control_loop.replan(("test",))
    schedule = (await api.get("/api/v1/schedule")).json()

    [plan] = [c for c in schedule["connectors"] if c["transaction_id"] == tx]
    expected: dict[str, Any] = {"needs_source": "vehicle (ISO 15118)", "energy_needed_kwh": 42.0}
    assert {key: plan[key] for key in expected} == expected
    assert _at(plan["departure_at"]) == now + timedelta(hours=6)


async def test_a_connector_shows_its_newest_transaction_when_an_older_stop_was_lost(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    now = runtime.clock.now()
    stale = await runtime.store.start_transaction(STATION, 1, "EMAID-0", None, 50.0, now - timedelta(hours=3))
    newest = await _plug_in(runtime, now)

    [connector] = (await api.get(f"/api/v1/charge-points/{STATION}")).json()["connectors"]

    assert stale != newest
    assert connector["transaction_id"] == newest
    assert connector["ev_needs"]["energy_amount_kwh"] == 42.0
