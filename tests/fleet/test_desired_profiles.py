"""Desired profiles, reconciled: a charger that reboots, reconnects or refuses gets its profiles back.

The whole application on loopback: the charger is the library's client on a real websocket, it
forgets everything it was sent when it reboots (it keeps nothing), and the store is a real database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from ocpp.v16 import call

from fleet.desired_profiles import SyncBatch
from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in
from tests.ocpp_server.support import ReceivedProfile, TestChargePoint, charger, until

AC_CHARGER = "MI-AC-01"
WALLBOX = {
    "SupportedFeatureProfiles": "Core,SmartCharging,RemoteTrigger",
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current, Power",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "8",
    "MeterValueSampleInterval": "60",
    "NumberOfConnectors": "1",
}
NO_NEXT_PASS = SyncBatch(frozenset(), frozenset())


@asynccontextmanager
async def app(database_url: str) -> AsyncIterator[Runtime]:
    """The runtime serving OCPP on a free loopback port, its reconciler running; no control loop."""
    rt = Runtime(load_site(), RunSettings(database_url, token_key=TEST_KEY), secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    operator = ACCOUNTS["operator"]
    if not await rt.store.access.list_accounts():
        await rt.auth.create_account(operator.name, AccountKind.USER, operator.role, None, operator.secret)
    ready = asyncio.Event()
    tasks = [
        asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready)),
        asyncio.create_task(rt.reconciler.run()),
    ]
    await asyncio.wait_for(ready.wait(), timeout=5)
    try:
        yield rt
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rt.store.close()


@asynccontextmanager
async def wallbox(rt: Runtime, configuration: dict[str, str] = WALLBOX) -> AsyncIterator[TestChargePoint]:
    async with charger(f"ws://127.0.0.1:{rt.central.listening_port()}", AC_CHARGER) as cp:
        cp.configuration = dict(configuration)
        yield cp


async def boot(cp: TestChargePoint) -> None:
    answer = await cp.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="Wallbox-22"))
    assert answer.status == "Accepted"


async def plan_for_a_plugged_car(rt: Runtime) -> int:
    now = rt.clock.now()
    transaction_id = await rt.store.start_transaction(AC_CHARGER, 1, "RFID-CAR-01", "CAR-01", 0.0, now)
    await rt.store.add_booking("CAR-01", now + timedelta(hours=1), 30.0, 1.0, now)
    await rt.control_loop.replan(("test",))
    return transaction_id


async def shown(rt: Runtime) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as client:
        token = await sign_in(client, "operator")
        answer = await client.get(f"/api/v1/charge-points/{AC_CHARGER}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def purposes(received: list[ReceivedProfile]) -> list[str]:
    return sorted(r.profile["charging_profile_purpose"] for r in received)


async def test_a_rebooted_charger_gets_its_tx_profile_back_without_a_new_plan(database_url: str) -> None:
    async with app(database_url) as rt, wallbox(rt) as cp:
        await boot(cp)
        await cp.next_profile()
        transaction_id = await plan_for_a_plugged_car(rt)
        planned = await cp.next_profile()
        await boot(cp)  # the charger restarted: it holds no profile now
        again = [await cp.next_profile(), await cp.next_profile()]
        body = await shown(rt)

    assert planned.profile["transaction_id"] == transaction_id
    assert purposes(again) == ["TxDefaultProfile", "TxProfile"]
    assert next(r for r in again if r.profile["charging_profile_purpose"] == "TxProfile") == planned
    assert body["connectors"][0]["desired_profile_status"] == "Accepted"
    reported = body["reported_capabilities"]
    assert reported["smart_charging"] is True
    assert reported["allowed_rate_units"] == ["A", "W"]
    assert reported["max_schedule_periods"] == 24
    assert reported["configuration"]["ChargingScheduleAllowedChargingRateUnit"] == "Current, Power"
    assert body["capabilities"]["max_schedule_periods"] == 96  # the site file's, shown apart


async def test_after_a_restart_of_the_central_system_the_reconnecting_charger_gets_its_profile(
    database_url: str,
) -> None:
    async with app(database_url) as rt, wallbox(rt) as cp:
        await boot(cp)
        await cp.next_profile()
        await plan_for_a_plugged_car(rt)
        planned = await cp.next_profile()
    async with app(database_url) as restarted, wallbox(restarted) as cp:
        # No BootNotification: a known charger reconnecting gets the fail-safe and what the plan wants.
        again = [await cp.next_profile(), await cp.next_profile()]

    assert purposes(again) == ["TxDefaultProfile", "TxProfile"]
    assert next(r for r in again if r.profile["charging_profile_purpose"] == "TxProfile") == planned


async def test_a_rejected_profile_is_sent_again_on_the_next_pass(database_url: str) -> None:
    async with app(database_url) as rt, wallbox(rt) as cp:
        await boot(cp)
        await cp.next_profile()
        cp.profile_answer = "Rejected"
        await plan_for_a_plugged_car(rt)
        refused = await cp.next_profile()
        await cp.cleared.get()
        status_after_refusal = (await shown(rt))["connectors"][0]["desired_profile_status"]
        cp.profile_answer = "Accepted"
        sent = await rt.reconciler.reconcile(NO_NEXT_PASS)
        retried = await cp.next_profile()
        status_after_retry = (await shown(rt))["connectors"][0]["desired_profile_status"]
        nothing_left = await rt.reconciler.reconcile(NO_NEXT_PASS)
        log = await rt.store.charger_log(charge_point_id=AC_CHARGER, flagged_only=True)

    assert (status_after_refusal, sent, status_after_retry, nothing_left) == ("Rejected", 1, "Accepted", 0)
    assert retried == refused
    assert [(line.kind, line.status) for line in log] == [("ChargingProfile", "Rejected")]


async def test_a_charger_without_smart_charging_gets_no_profile_and_the_operator_sees_why(database_url: str) -> None:
    async with app(database_url) as rt, wallbox(rt, {**WALLBOX, "SupportedFeatureProfiles": "Core"}) as cp:
        await boot(cp)
        await plan_for_a_plugged_car(rt)
        await until("the plan's profile refused", lambda: len(rt.dispatcher.last_outcomes) == 1)
        body = await shown(rt)
        log = await rt.store.charger_log(charge_point_id=AC_CHARGER, flagged_only=True)

    assert cp.profiles.empty()
    assert body["reported_capabilities"]["smart_charging"] is False
    assert body["connectors"][0]["desired_profile_status"] == "NotSent"
    assert sorted((line.status, line.request_id) for line in log) == [("NotSent", 1), ("NotSent", 1001)]
    assert all("does not support SmartCharging" in (line.detail or "") for line in log)


async def test_tc_066_get_composite_schedule_answers_what_the_charger_computes(database_url: str) -> None:
    async with app(database_url) as rt, wallbox(rt) as cp:
        await boot(cp)
        await cp.next_profile()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as client:
            token = await sign_in(client, "operator")
            answer = await client.post(
                f"/api/v1/charge-points/{AC_CHARGER}/commands/get-composite-schedule",
                json={"connector_id": 1, "duration_s": 3600, "charging_rate_unit": "A"},
                headers={"Authorization": f"Bearer {token}"},
            )

    assert answer.status_code == 200, answer.text
    assert cp.composite_requests == [(1, 3600, "A")]
    payload = answer.json()["payload"]
    assert payload["status"] == "Accepted"
    assert payload["chargingSchedule"] == {
        "duration": 3600,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 9.1, "numberPhases": 3}],
    }
