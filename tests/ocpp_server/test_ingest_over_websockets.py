"""The central system with the site application behind it: chargers over real websockets, a real store.

What a charger sends twice, late or out of order ends up stored once and as it happened; what does
not add up is answered anyway and flagged in the charger's log for the operator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from fleet.ingest import PENDING_RETRY_S, ChargerIngest, Problem
from fleet.persistence import Store, VehicleClass, VehicleRecord
from fleet.site_config import OcppConfig, SiteConfig, load_site
from fleet.triggers import PlanTriggers
from ocpp_server.central_system import CentralSystem
from ocpp_server.events import Measurand
from tests.ocpp_server.support import NOW, TestChargePoint, charger, fixed_now, running

SITE = load_site()
VAN = VehicleRecord(
    id="VAN-01",
    fleet="e-logistics",
    vehicle_class=VehicleClass.VAN,
    name="",
    id_tag="RFID-VAN-01",
    battery_kwh=79.0,
    max_ac_kw=11.0,
    max_dc_kw=50.0,
)
AC_ID = next(c.id for c in SITE.charge_points if c.kind == "AC")
STARTED = NOW - timedelta(hours=1)


def wire_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store.from_url(database_url)
    await store.migrate()
    yield store
    await store.close()


@asynccontextmanager
async def site_edge(store: Store, site: SiteConfig = SITE) -> AsyncIterator[tuple[CentralSystem, str]]:
    central = CentralSystem(ChargerIngest(site, store, PlanTriggers()), fixed_now)
    async with running(central) as url:
        yield central, url


@asynccontextmanager
async def booted(url: str, charge_point_id: str = AC_ID) -> AsyncIterator[TestChargePoint]:
    async with charger(url, charge_point_id) as cp:
        answer = await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        assert answer.status == "Accepted"
        await cp.next_profile()  # the fail-safe
        yield cp


def start(at: datetime = STARTED, meter_wh: int = 100_000) -> call.StartTransaction:
    return call.StartTransaction(connector_id=1, id_tag="RFID-X", meter_start=meter_wh, timestamp=wire_time(at))


def energy(transaction_id: int, *readings: tuple[datetime, int]) -> call.MeterValues:
    return call.MeterValues(
        connector_id=1,
        transaction_id=transaction_id,
        meter_value=[energy_value(at, wh) for at, wh in readings],
    )


def energy_value(at: datetime, wh: int) -> dict[str, Any]:
    return {
        "timestamp": wire_time(at),
        "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register"}],
    }


async def test_a_start_transaction_retried_with_a_new_message_id_gets_the_same_transaction_id(
    store: Store,
) -> None:
    async with site_edge(store) as (_, url), booted(url) as cp:
        first = await cp.call(start())  # every call goes out with a fresh message id
        retried = await cp.call(start())
        another = await cp.call(start(at=STARTED + timedelta(minutes=5)))

    assert first.transaction_id == retried.transaction_id != another.transaction_id
    assert len(await store.list_transactions()) == 2


async def test_a_retried_stop_transaction_is_applied_once(store: Store) -> None:
    async with site_edge(store) as (_, url), booted(url) as cp:
        started = await cp.call(start())
        stop_at = STARTED + timedelta(minutes=30)
        stop = call.StopTransaction(
            meter_stop=110_000, timestamp=wire_time(stop_at), transaction_id=started.transaction_id
        )
        first = await cp.call(stop)
        retried = await cp.call(stop)
        late = await cp.call(
            call.StopTransaction(
                meter_stop=120_000,
                timestamp=wire_time(stop_at + timedelta(minutes=5)),
                transaction_id=started.transaction_id,
            )
        )
        transaction = await store.get_transaction(started.transaction_id)

    assert first is not None
    assert retried is not None
    assert late is not None
    assert transaction is not None
    assert (transaction.stopped_at, transaction.meter_stop_kwh) == (stop_at, 110.0)
    assert await store.charger_log(flagged_only=True) == []


async def test_meter_values_sent_again_or_again_with_the_stop_are_counted_once(store: Store) -> None:
    t1, t2, t3 = (STARTED + timedelta(minutes=m) for m in (10, 20, 30))
    async with site_edge(store) as (_, url), booted(url) as cp:
        started = await cp.call(start())
        tx = started.transaction_id
        await cp.call(energy(tx, (t1, 101_000), (t2, 102_000)))
        await cp.call(energy(tx, (t1, 101_000), (t2, 102_000)))  # a retry with a new message id
        await cp.call(
            call.StopTransaction(
                meter_stop=103_000,
                timestamp=wire_time(t3),
                transaction_id=tx,
                transaction_data=[energy_value(t2, 102_000), energy_value(t3, 103_000)],
            )
        )
        series = await store.meter_series(tx, Measurand.ENERGY_IMPORT_KWH)
        transaction = await store.get_transaction(tx)

    assert series == [(t1, 101.0), (t2, 102.0), (t3, 103.0)]
    assert transaction is not None
    assert transaction.last_energy_register_kwh == 103.0


@pytest.mark.parametrize(("id_tag", "status"), [("RFID-VAN-01", "Accepted"), ("RFID-NOBODY", "Invalid")])
async def test_tc_037_an_offline_start_hours_old_is_accepted_and_judged_by_its_id_tag(
    store: Store, id_tag: str, status: str
) -> None:
    await store.upsert_vehicles([VAN])
    four_hours_ago = NOW - timedelta(hours=4)
    async with site_edge(store) as (_, url), booted(url) as cp:
        answer = await cp.call(
            call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=0, timestamp=wire_time(four_hours_ago))
        )
        transaction = await store.get_transaction(answer.transaction_id)

    assert answer.transaction_id > 0
    assert answer.id_tag_info == {"status": status}
    assert transaction is not None
    assert transaction.started_at == four_hours_ago


async def test_tc_039_offline_history_is_accepted_as_it_comes_and_problems_are_flagged(store: Store) -> None:
    two_days_ago = NOW - timedelta(days=2)
    async with site_edge(store) as (_, url), booted(url) as cp:
        # A transaction held while offline, reported after it ended, then its meter values.
        started = await cp.call(start(at=two_days_ago))
        tx = started.transaction_id
        stop_at = two_days_ago + timedelta(hours=2)
        stopped = await cp.call(
            call.StopTransaction(meter_stop=130_000, timestamp=wire_time(stop_at), transaction_id=tx)
        )
        late_values = await cp.call(energy(tx, (two_days_ago + timedelta(hours=1), 115_000)))
        # Stops for transactions the central system never started, -1 being a charger's "no id".
        unknown = await cp.call(call.StopTransaction(meter_stop=1_000, timestamp=wire_time(NOW), transaction_id=424242))
        minus_one = await cp.call(
            call.StopTransaction(meter_stop=2_000, timestamp=wire_time(NOW), transaction_id=-1, id_tag="RFID-X")
        )
        orphan_values = await cp.call(energy(777, (NOW - timedelta(minutes=1), 5_000)))
        # A clock that went backwards: stopped before it started.
        backwards = await cp.call(start(at=NOW - timedelta(minutes=10)))
        await cp.call(
            call.StopTransaction(
                meter_stop=100_500,
                timestamp=wire_time(NOW - timedelta(minutes=20)),
                transaction_id=backwards.transaction_id,
            )
        )
        transaction = await store.get_transaction(tx)
        series = await store.meter_series(tx, Measurand.ENERGY_IMPORT_KWH)
        flagged = await store.charger_log(charge_point_id=AC_ID, flagged_only=True)

    assert None not in (stopped, late_values, unknown, minus_one, orphan_values)
    assert minus_one.id_tag_info == {"status": "Invalid"}
    assert transaction is not None
    assert (transaction.started_at, transaction.stopped_at) == (two_days_ago, stop_at)
    assert series == [(two_days_ago + timedelta(hours=1), 115.0)]
    assert sorted(line.kind for line in flagged) == sorted(
        [
            Problem.STOP_OF_UNKNOWN_TRANSACTION,
            Problem.STOP_OF_UNKNOWN_TRANSACTION,
            Problem.METER_VALUES_OF_UNKNOWN_TRANSACTION,
            Problem.STOP_BEFORE_START,
        ]
    )
    assert any("424242" in (line.detail or "") for line in flagged)
    assert any("transaction -1" in (line.detail or "") for line in flagged)


async def test_sixty_chargers_booting_and_reporting_at_the_same_moment_are_all_recorded(store: Store) -> None:
    assert len(SITE.charge_points) == 60
    async with site_edge(store) as (central, url), AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger(url, c.id)) for c in SITE.charge_points]

        async def boot_and_report(cp: TestChargePoint, connectors: int) -> None:
            await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            await asyncio.gather(
                *(
                    cp.call(call.StatusNotification(connector_id=n, error_code="NoError", status="Available"))
                    for n in range(connectors + 1)
                )
            )

        await asyncio.gather(
            *(boot_and_report(cp, c.connectors) for cp, c in zip(chargers, SITE.charge_points, strict=True))
        )
        assert len(central.connected_ids()) == 60
        recorded = {cp.id: cp for cp in await store.list_charge_points()}

    assert set(recorded) == {c.id for c in SITE.charge_points}
    for config in SITE.charge_points:
        record = recorded[config.id]
        assert record.connected
        assert record.booted_at == NOW
        assert record.vendor == "V"
        assert [(c.connector_id, c.status) for c in record.connectors] == [
            (n, "Available") for n in range(config.connectors + 1)
        ]


async def test_an_unknown_charger_is_refused_at_the_handshake_without_auto_registration(store: Store) -> None:
    async with site_edge(store) as (_, url):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/STRANGER-1", subprotocols=[Subprotocol("ocpp1.6")]):
                pass

    assert refused.value.response.status_code == 404
    assert await store.list_charge_points() == []


async def test_with_auto_registration_an_unknown_charger_is_admitted_pending_and_logged(store: Store) -> None:
    site = SITE.model_copy(update={"ocpp": OcppConfig(auto_registration=True)})
    async with (
        site_edge(store, site) as (central, url),
        connect(f"{url}/STRANGER-1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        await ws.send('[2,"b1","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"X9"}]')
        boot = json.loads(await ws.recv())
        await ws.send(
            '[2,"s1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2025-06-02T09:00:00Z"}]'
        )
        start_answer = json.loads(await ws.recv())
        assert central.connected_ids() == frozenset({"STRANGER-1"})
        log = await store.charger_log(charge_point_id="STRANGER-1")
        stored = await store.list_charge_points()

    assert boot == [
        3,
        "b1",
        {"currentTime": "2025-06-02T10:00:00.000Z", "interval": PENDING_RETRY_S, "status": "Pending"},
    ]
    assert start_answer[:3] == [4, "s1", "SecurityError"]
    assert [(line.kind, line.status, line.flagged) for line in log] == [("PendingRegistration", "Pending", True)]
    assert "'Acme'" in (log[0].detail or "")
    assert "'X9'" in (log[0].detail or "")
    assert [(cp.id, cp.booted_at) for cp in stored] == [("STRANGER-1", None)]
    assert await store.list_transactions() == []


async def test_reports_and_security_events_are_kept_in_the_chargers_log(store: Store) -> None:
    async with site_edge(store) as (_, url), booted(url) as cp:
        await cp.call(call.FirmwareStatusNotification(status="Downloading"))
        await cp.call(call.FirmwareStatusNotification(status="DownloadFailed"))
        await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
        await cp.call(call.LogStatusNotification(status="Uploaded", request_id=5))
        await cp.call(call.SignedFirmwareStatusNotification(status="InvalidSignature", request_id=6))
        await cp.call(
            call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp="2025-06-02T09:00:00Z", tech_info="lid"
            )
        )
        log = await store.charger_log(charge_point_id=AC_ID)

    assert sorted((line.kind, line.status, line.flagged, line.request_id, line.detail) for line in log) == sorted(
        [
            ("FirmwareStatus", "Downloading", False, None, None),
            ("FirmwareStatus", "DownloadFailed", True, None, None),
            ("DiagnosticsStatus", "Uploaded", False, None, None),
            ("LogStatus", "Uploaded", False, 5, None),
            ("SignedFirmwareStatus", "InvalidSignature", True, 6, None),
            ("SecurityEvent", "TamperDetectionActivated", True, None, "lid"),
        ]
    )
    assert log[-1].at == datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # newest first: the event's own time is oldest


async def test_implausible_meter_readings_are_answered_stored_and_flagged(store: Store) -> None:
    async with site_edge(store) as (_, url), booted(url) as cp:
        no_meter = await cp.call(start(meter_wh=-1))
        stopped = await cp.call(
            call.StopTransaction(meter_stop=-1, timestamp=wire_time(NOW), transaction_id=no_meter.transaction_id)
        )
        backwards = await cp.call(start(at=STARTED + timedelta(minutes=1), meter_wh=50_000))
        await cp.call(
            call.StopTransaction(meter_stop=40_000, timestamp=wire_time(NOW), transaction_id=backwards.transaction_id)
        )
        transactions = {t.id: t for t in await store.list_transactions()}
        flagged = await store.charger_log(flagged_only=True)

    assert stopped is not None
    assert (
        transactions[no_meter.transaction_id].meter_start_kwh,
        transactions[no_meter.transaction_id].meter_stop_kwh,
    ) == (
        -0.001,
        -0.001,
    )
    assert transactions[backwards.transaction_id].meter_stop_kwh == 40.0
    assert sorted(line.kind for line in flagged) == [Problem.METER_WENT_BACKWARDS, Problem.NEGATIVE_METER_READING]
