"""Chargers connecting to the central system over real websockets on loopback."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem, charge_point_id_from_path
from ocpp_server.events import ChargerBooted, ChargerConnected, ChargerDisconnected, OcppVersion
from ocpp_server.ports import BootDecision
from tests.ocpp_server.support import (
    AC_22KW,
    DC_50KW,
    NOW,
    ReceivedProfile,
    RecordingSink,
    charger,
    fixed_now,
    running,
    until,
)

FAILSAFE_6_6_A = {
    "charging_profile_id": 1,
    "stack_level": 0,
    "charging_profile_purpose": "TxDefaultProfile",
    "charging_profile_kind": "Relative",
    "charging_schedule": {
        "charging_rate_unit": "A",
        "charging_schedule_period": [{"start_period": 0, "limit": 6.6, "number_phases": 3}],
    },
}


async def test_an_accepted_boot_gets_the_failsafe_tx_default_profile() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(
            call.BootNotification(
                charge_point_model="AC22", charge_point_vendor="Acme", charge_point_serial_number="S-1"
            )
        )
        profile = await cp.next_profile()

    assert (answer.status, answer.interval, answer.current_time) == ("Accepted", 300, "2025-06-02T10:00:00.000Z")
    # 4.6 kW on 3 x 230 V = 6.67 A, rounded down.
    assert profile == ReceivedProfile(0, FAILSAFE_6_6_A)
    assert sink.of_type(ChargerBooted) == [ChargerBooted("CP1", "Acme", "AC22", "S-1", None, NOW)]


async def test_the_failsafe_of_a_dc_charger_is_in_watts() -> None:
    sink = RecordingSink(boot=BootDecision(True, 60, {1: DC_50KW, 2: DC_50KW}, failsafe_limit_kw=12.5))
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "DC1") as cp:
        await cp.call(call.BootNotification(charge_point_model="DC50", charge_point_vendor="Acme"))
        profile = await cp.next_profile()

    assert profile.profile["charging_schedule"] == {
        "charging_rate_unit": "W",
        "charging_schedule_period": [{"start_period": 0, "limit": 12500.0}],
    }


async def test_a_rejected_boot_is_answered_rejected() -> None:
    sink = RecordingSink(boot=BootDecision(False, 120, {}, failsafe_limit_kw=0.0))
    async with running(CentralSystem(sink, fixed_now)) as url, charger(url, "CP1") as cp:
        answer = await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))

    assert (answer.status, answer.interval) == ("Rejected", 120)


async def test_a_known_charger_reconnecting_gets_the_failsafe_without_booting() -> None:
    resume = BootDecision(True, 300, {1: AC_22KW}, failsafe_limit_kw=11.0)
    sink = RecordingSink(resume={"CP1": resume})
    async with running(CentralSystem(sink, fixed_now)) as url:
        async with charger(url, "CP1") as cp:
            first = await cp.next_profile()
        await until("the disconnect", lambda: sink.of_type(ChargerDisconnected))
        async with charger(url, "CP1") as cp:
            second = await cp.next_profile()

    # 11 kW on 3 x 230 V = 15.94 A, rounded down.
    for profile in (first, second):
        assert profile.connector_id == 0
        assert profile.profile["charging_schedule"]["charging_schedule_period"] == [
            {"start_period": 0, "limit": 15.9, "number_phases": 3}
        ]
    assert sink.of_type(ChargerBooted) == []


async def test_an_unknown_charger_is_refused_with_404() -> None:
    sink = RecordingSink(known_ids=frozenset({"CP1"}))
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/CP9", subprotocols=[Subprotocol("ocpp1.6")]):
                pass
        assert central.connected_ids() == frozenset()

    assert refused.value.response.status_code == 404
    assert b"CP9" in refused.value.response.body
    assert sink.events == [ChargerConnected("CP9", OcppVersion.V16, NOW)]


async def test_a_path_without_an_id_is_refused_with_400() -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/ocpp/", subprotocols=[Subprotocol("ocpp1.6")]):
                pass

    assert refused.value.response.status_code == 400
    assert sink.events == []


@pytest.mark.parametrize("offered", [[Subprotocol("ocpp1.5")], [Subprotocol("ocpp2.0")], None])
async def test_a_charger_offering_no_subprotocol_the_system_speaks_is_closed_with_1002(
    offered: list[Subprotocol] | None,
) -> None:
    sink = RecordingSink()
    async with running(CentralSystem(sink, fixed_now)) as url, connect(f"{url}/CP1", subprotocols=offered) as ws:
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1002
    assert "ocpp1.6 or ocpp2.0.1 or ocpp2.1" in closed.value.rcvd.reason
    assert sink.events == []


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["ocpp2.0.1", "ocpp1.6"], "ocpp2.0.1"),
        (["ocpp1.6", "ocpp2.0.1"], "ocpp1.6"),
        (["ocpp2.1", "ocpp2.0.1"], "ocpp2.1"),
        (["ocpp2.0", "ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp1.5", "ocpp1.6"], "ocpp1.6"),
    ],
)
async def test_the_subprotocol_is_the_first_offered_that_the_system_speaks(offered: list[str], chosen: str) -> None:
    sink = RecordingSink()
    version = {"ocpp1.6": OcppVersion.V16, "ocpp2.0.1": OcppVersion.V201, "ocpp2.1": OcppVersion.V21}[chosen]
    async with running(CentralSystem(sink, fixed_now)) as url:
        async with connect(f"{url}/CP1", subprotocols=[Subprotocol(p) for p in offered]) as ws:
            assert ws.subprotocol == chosen
        await until("the disconnect", lambda: sink.of_type(ChargerDisconnected))

    assert sink.events[0] == ChargerConnected("CP1", version, NOW)


async def test_a_second_connection_replaces_the_first() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as old:
        async with charger(url, "CP1") as new:
            await asyncio.wait_for(old._connection.wait_closed(), timeout=5)
            answer = await new.call(call.Heartbeat())
            assert central.connected_ids() == frozenset({"CP1"})
            assert sink.of_type(ChargerDisconnected) == []
        await until("the disconnect", lambda: sink.of_type(ChargerDisconnected))
        assert central.connected_ids() == frozenset()

    assert old._connection.close_code == 1000
    assert answer.current_time == "2025-06-02T10:00:00.000Z"
    assert sink.events == [
        ChargerConnected("CP1", OcppVersion.V16, NOW),
        ChargerConnected("CP1", OcppVersion.V16, NOW),
        ChargerDisconnected("CP1", NOW),
    ]


async def test_the_id_is_the_url_decoded_last_path_segment() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "ocpp/Porta%20Romana-07") as cp:
        await cp.call(call.Heartbeat())
        assert central.connected_ids() == frozenset({"Porta Romana-07"})

    assert charge_point_id_from_path("/ocpp/CP1?token=x") == "CP1"
    with pytest.raises(ValueError, match="no charge point id"):
        charge_point_id_from_path("/")


async def test_a_failing_connect_report_refuses_the_handshake() -> None:
    sink = RecordingSink(failing=frozenset({"charger_connected"}))
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]):
                pass

    assert refused.value.response.status_code == 500
    assert central.connected_ids() == frozenset()
