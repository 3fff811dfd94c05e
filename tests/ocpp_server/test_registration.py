"""Handshake and boot: which chargers get in, and what they may send before they are accepted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import ChargerBooted, ConnectorStatusChanged, TransactionStarted
from ocpp_server.ports import BootDecision
from tests.ocpp_server.support import AC_BOOT, RecordingSink, fixed_now, running

PENDING = BootDecision(False, 60, {}, failsafe_limit_kw=0.0, pending=True)
REJECTED = BootDecision(False, 900, {}, failsafe_limit_kw=0.0)

BOOT = '[2,"{id}","BootNotification",{{"chargePointVendor":"Acme","chargePointModel":"AC22"}}]'
HEARTBEAT = '[2,"{id}","Heartbeat",{{}}]'
STATUS = '[2,"{id}","StatusNotification",{{"connectorId":1,"errorCode":"NoError","status":"Available"}}]'
METER_VALUES = (
    '[2,"{id}","MeterValues",{{"connectorId":1,"meterValue":'
    '[{{"timestamp":"2025-06-02T09:59:00Z","sampledValue":[{{"value":"1000"}}]}}]}}]'
)
FIRMWARE = '[2,"{id}","FirmwareStatusNotification",{{"status":"Idle"}}]'
DIAGNOSTICS = '[2,"{id}","DiagnosticsStatusNotification",{{"status":"Idle"}}]'
AUTHORIZE = '[2,"{id}","Authorize",{{"idTag":"ok-1"}}]'
START = (
    '[2,"{id}","StartTransaction",{{"connectorId":1,"idTag":"ok-1","meterStart":0,"timestamp":"2025-06-02T09:00:00Z"}}]'
)
STOP = '[2,"{id}","StopTransaction",{{"transactionId":7,"meterStop":10,"timestamp":"2025-06-02T09:30:00Z"}}]'
DATA = '[2,"{id}","DataTransfer",{{"vendorId":"com.acme"}}]'

TRIGGERABLE = [BOOT, HEARTBEAT, STATUS, METER_VALUES, FIRMWARE, DIAGNOSTICS]
NOT_TRIGGERABLE = [AUTHORIZE, START, STOP, DATA]


async def exchange(ws: ClientConnection, template: str, unique_id: str) -> list[Any]:
    await ws.send(template.format(id=unique_id))
    answer: list[Any] = json.loads(await ws.recv())
    return answer


async def test_tc_001_cold_boot_is_accepted_with_the_heartbeat_interval() -> None:
    sink = RecordingSink()
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        boot = await exchange(ws, BOOT, "b1")
        configuration = json.loads(await ws.recv())
        await ws.send(json.dumps([3, configuration[1], {"configurationKey": []}]))
        profile = json.loads(await ws.recv())
        answers = [await exchange(ws, template, f"m{n}") for n, template in enumerate(NOT_TRIGGERABLE)]

    assert boot == [3, "b1", {"currentTime": "2025-06-02T10:00:00.000Z", "interval": 300, "status": "Accepted"}]
    assert configuration[2] == "GetConfiguration"
    assert profile[2] == "SetChargingProfile"
    assert [answer[:2] for answer in answers] == [[3, f"m{n}"] for n in range(len(NOT_TRIGGERABLE))]


@pytest.mark.parametrize(
    "offered",
    [
        [Subprotocol("ocpp1.6")],
        [Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
        [Subprotocol("ocpp1.5"), Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0")],
    ],
)
async def test_ocpp16_is_selected_from_the_subprotocols_offered(offered: list[Subprotocol]) -> None:
    async with (
        running(CentralSystem(RecordingSink(), fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=offered) as ws,
    ):
        answer = await exchange(ws, HEARTBEAT, "h1")

    assert ws.subprotocol == "ocpp1.6"
    assert answer[:2] == [3, "h1"]


async def test_a_pending_boot_is_answered_pending_and_only_triggerable_requests_are_served() -> None:
    sink = RecordingSink(boot=PENDING)
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        boot = await exchange(ws, BOOT, "b1")
        served = [await exchange(ws, template, f"t{n}") for n, template in enumerate(TRIGGERABLE)]
        refused = [await exchange(ws, template, f"r{n}") for n, template in enumerate(NOT_TRIGGERABLE)]
        # Once accepted, everything is served; no fail-safe profile went out while pending.
        sink.boot = AC_BOOT
        accepted = await exchange(ws, BOOT, "b2")
        configuration = json.loads(await ws.recv())
        await ws.send(json.dumps([3, configuration[1], {"configurationKey": []}]))
        profile = json.loads(await ws.recv())
        start = await exchange(ws, START, "s1")

    assert boot == [3, "b1", {"currentTime": "2025-06-02T10:00:00.000Z", "interval": 60, "status": "Pending"}]
    assert [answer[:2] for answer in served] == [[3, f"t{n}"] for n in range(len(TRIGGERABLE))]
    assert [answer[:3] for answer in refused] == [[4, f"r{n}", "SecurityError"] for n in range(len(NOT_TRIGGERABLE))]
    assert accepted[2]["status"] == "Accepted"
    assert configuration[2] == "GetConfiguration"
    assert profile[2] == "SetChargingProfile"
    assert start[0] == 3
    assert len(sink.of_type(ChargerBooted)) == 3
    assert len(sink.of_type(ConnectorStatusChanged)) == 1
    assert len(sink.of_type(TransactionStarted)) == 1


async def test_a_rejected_boot_is_answered_with_its_retry_interval_and_nothing_else_is_served() -> None:
    sink = RecordingSink(boot=REJECTED)
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        boot = await exchange(ws, BOOT, "b1")
        heartbeat = await exchange(ws, HEARTBEAT, "h1")
        status = await exchange(ws, STATUS, "s1")
        again = await exchange(ws, BOOT, "b2")

    assert boot == [3, "b1", {"currentTime": "2025-06-02T10:00:00.000Z", "interval": 900, "status": "Rejected"}]
    assert heartbeat[:3] == [4, "h1", "SecurityError"]
    assert status[:3] == [4, "s1", "SecurityError"]
    assert again[2]["status"] == "Rejected"
    assert sink.of_type(ConnectorStatusChanged) == []


async def test_a_charger_admitted_as_pending_is_screened_until_its_boot_is_accepted() -> None:
    sink = RecordingSink(pending_ids=frozenset({"NEW-1"}))
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/NEW-1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        heartbeat = await exchange(ws, HEARTBEAT, "h1")
        authorize = await exchange(ws, AUTHORIZE, "a1")
        boot = await exchange(ws, BOOT, "b1")
        await ws.recv()  # the fail-safe profile
        after = await exchange(ws, AUTHORIZE, "a2")

    assert heartbeat[:2] == [3, "h1"]
    assert authorize[:3] == [4, "a1", "SecurityError"]
    assert boot[2]["status"] == "Accepted"
    assert after == [3, "a2", {"idTagInfo": {"status": "Accepted"}}]


def test_a_boot_cannot_be_both_accepted_and_pending() -> None:
    with pytest.raises(ValueError, match="either accepted or pending"):
        BootDecision(True, 300, {}, failsafe_limit_kw=0.0, pending=True)


async def test_a_request_refused_while_pending_is_handled_when_repeated_after_acceptance() -> None:
    sink = RecordingSink(boot=PENDING)
    async with (
        running(CentralSystem(sink, fixed_now)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        await exchange(ws, BOOT, "b1")
        refused = await exchange(ws, AUTHORIZE, "a1")
        sink.boot = AC_BOOT
        await exchange(ws, BOOT, "b2")
        await ws.recv()  # the fail-safe profile
        repeated = await exchange(ws, AUTHORIZE, "a1")

    assert refused[:3] == [4, "a1", "SecurityError"]
    assert repeated == [3, "a1", {"idTagInfo": {"status": "Accepted"}}]
