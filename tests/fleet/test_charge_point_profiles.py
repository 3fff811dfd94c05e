"""Charge points' capabilities, boot report and profiles: the API against what a charger received.

The charger is the library's client on a real websocket; the central system sends it the fail-safe
at boot and the plan's TxProfile after a replan, and the API must show the limits it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from ocpp.v16 import call

from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in
from tests.fleet.site_times import NIGHT_UTC, marked_clock
from tests.ocpp_server.support import ReceivedProfile, TestChargePoint, charger, running, until

AC_CHARGER = "MI-AC-01"
FAILSAFE_KW = 6.3
"""planning.failsafe_limit_kw of the Milan site file."""


async def test_capabilities_come_from_the_site_file_and_the_failsafe_is_in_each_unit(
    api: httpx.AsyncClient,
) -> None:
    charge_points = {cp["id"]: cp for cp in (await api.get("/api/v1/charge-points")).json()}
    ac, dc = charge_points[AC_CHARGER], charge_points["MI-DC-01"]
    assert ac["capabilities"] == {
        "kind": "AC",
        "max_power_kw": 22.0,
        "rate_unit": "A",
        "phases": 3,
        "voltage_v": 230.0,
        "min_current_a": 6.0,
        "min_power_kw": 4.14,
        "max_schedule_periods": 96,
        "vendor": "Vettabbia-Sim",
        "model": "AC22",
    }
    assert (dc["capabilities"]["rate_unit"], dc["capabilities"]["min_power_kw"]) == ("W", 0.0)
    assert ac["boot"] is None
    assert ac["connectors"][0]["installed_profile"] is None
    failsafe = ac["failsafe_profile"]
    assert {k: failsafe[k] for k in ("purpose", "stack_level", "connector_id", "start_at", "duration_s")} == {
        "purpose": "TxDefaultProfile",
        "stack_level": 0,
        "connector_id": 0,
        "start_at": None,
        "duration_s": None,
    }
    # 6.3 kW on 3 x 230 V is 9.13 A, rounded down to 0.1 A; in watts it is exact.
    assert failsafe["periods"] == [{"start_offset_s": 0, "limit_kw": FAILSAFE_KW, "limit": 9.1}]
    assert failsafe["charger_periods"] == [{"start_offset_s": 0, "limit": 9.1}]
    assert failsafe["limit_now_kw"] == FAILSAFE_KW
    assert dc["failsafe_profile"]["periods"] == [{"start_offset_s": 0, "limit_kw": FAILSAFE_KW, "limit": 6300.0}]
    one = (await api.get(f"/api/v1/charge-points/{AC_CHARGER}")).json()
    assert one == ac


@pytest.fixture
async def operator_only(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    """A runtime with an operator account only, its OCPP server started by the test."""
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher(), clock=marked_clock(request))
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    operator = ACCOUNTS["operator"]
    await rt.auth.create_account(operator.name, AccountKind.USER, operator.role, None, operator.secret)
    yield rt
    await rt.store.close()


async def _charge_point(rt: Runtime, charge_point_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as client:
        token = await sign_in(client, "operator")
        answer = await client.get(
            f"/api/v1/charge-points/{charge_point_id}", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _wire_periods(received: ReceivedProfile) -> list[dict[str, Any]]:
    schedule = received.profile["charging_schedule"]
    return [{"start_offset_s": p["start_period"], "limit": p["limit"]} for p in schedule["charging_schedule_period"]]


@pytest.mark.site_time(NIGHT_UTC)
async def test_the_installed_profile_is_what_the_charger_accepted(operator_only: Runtime) -> None:
    runtime = operator_only
    async with running(runtime.central) as url, charger(url, AC_CHARGER) as cp:
        await _boot(cp)
        failsafe = await cp.next_profile()
        await until("the boot is stored", lambda: AC_CHARGER in runtime.central.connected_ids())
        now = runtime.clock.now()
        transaction_id = await runtime.store.start_transaction(AC_CHARGER, 1, "RFID-CAR-01", "CAR-01", 0.0, now)
        await runtime.store.add_booking("CAR-01", now + timedelta(hours=1), 30.0, 1.0, now)
        await runtime.control_loop.replan(("test",))
        sent = await cp.next_profile()
        shown = await _charge_point(runtime, AC_CHARGER)

    assert shown["failsafe_profile"]["charger_periods"] == _wire_periods(failsafe)
    boot = shown["boot"]
    assert {k: boot[k] for k in ("vendor", "model", "serial_number", "firmware_version")} == {
        "vendor": "Acme",
        "model": "Wallbox-22",
        "serial_number": "SN-0042",
        "firmware_version": "4.2.1",
    }
    assert boot["booted_at"] is not None
    # The site file still describes the charger the plan is made for.
    assert shown["capabilities"]["vendor"] == "Vettabbia-Sim"
    connector = shown["connectors"][0]
    installed = connector["installed_profile"]
    assert installed is not None
    assert installed["transaction_id"] == transaction_id
    assert (installed["purpose"], installed["rate_unit"]) == ("TxProfile", "A")
    assert installed["profile_id"] == sent.profile["charging_profile_id"]
    assert installed["charger_periods"] == _wire_periods(sent)
    # 30 kWh in 1 h through 22 kW cannot be done: the plan charges at once, so the first limit is a real one.
    first = installed["periods"][0]
    assert first["limit_kw"] > 0
    assert first["limit"] == pytest.approx(int(first["limit_kw"] * 1000 / 690 * 10) / 10, abs=0.1)
    assert installed["limit_now_kw"] == pytest.approx(connector["limit_kw"], abs=0.05)


async def _boot(cp: TestChargePoint) -> None:
    answer = await cp.call(
        call.BootNotification(
            charge_point_vendor="Acme",
            charge_point_model="Wallbox-22",
            charge_point_serial_number="SN-0042",
            firmware_version="4.2.1",
        )
    )
    assert answer.status == "Accepted"
