"""Events from chargers on gateway nodes to the controller, commands back, over the real broker."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.exceptions import InternalError
from ocpp.v16 import call

from fleet.bus.broker import BusSettings
from ocpp_server.commands import CommandStatus, PowerLimitProfile, PowerPeriod, ProfilePurpose
from ocpp_server.events import (
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ConnectorStatusChanged,
    MeterValuesReceived,
    TransactionStarted,
    TransactionStopped,
)
from ocpp_server.raw_calls import CentralSystemAction, RawCallOutcome
from tests.fleet.bus.deployment import deployment, start_controller
from tests.ocpp_server.support import AC_22KW, RecordingSink, TestChargePoint, serving_charger, until

BOOT = call.BootNotification(charge_point_model="Wallbox", charge_point_vendor="Vettabbia")


def meter_values(transaction_id: int, energy_wh: int) -> call.MeterValues:
    return call.MeterValues(
        connector_id=1,
        transaction_id=transaction_id,
        meter_value=[{"timestamp": "2025-06-02T10:00:00Z", "sampledValue": [{"value": str(energy_wh)}]}],
    )


async def test_a_chargers_events_reach_the_controller_in_order_and_its_answers_come_back(bus: BusSettings) -> None:
    sink = RecordingSink(next_transaction_id=500)
    async with deployment(bus, sink) as (controller, gateways):
        async with serving_charger(gateways["gw-a"].url, "CP1", TestChargePoint) as cp:
            boot = await cp.call(BOOT)
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
            started = await cp.call(
                call.StartTransaction(connector_id=1, id_tag="ok-1", meter_start=1000, timestamp="2025-06-02T10:00:00Z")
            )
            for energy_wh in range(1100, 3100, 100):
                await cp.call(meter_values(started.transaction_id, energy_wh))
            stopped = await cp.call(
                call.StopTransaction(meter_stop=3000, timestamp="2025-06-02T10:30:00Z", transaction_id=501)
            )
            assert controller.link.holders.holder("CP1") == "gw-a"
        await until("the disconnect", lambda: sink.of_type(ChargerDisconnected), timeout_s=10)

    assert boot.status == "Accepted"
    assert started.transaction_id == 501
    assert stopped.id_tag_info is None
    kinds = [type(event) for event in sink.events]
    assert kinds[:4] == [ChargerConnected, ChargerBooted, ConnectorStatusChanged, TransactionStarted]
    assert kinds[-2:] == [TransactionStopped, ChargerDisconnected]
    registers = [event.samples[0].value for event in sink.of_type(MeterValuesReceived)]
    assert registers == pytest.approx([energy_wh / 1000 for energy_wh in range(1100, 3100, 100)])


async def test_many_chargers_at_once_keep_each_ones_order(bus: BusSettings) -> None:
    sink = RecordingSink()
    ids = [f"CP{n}" for n in range(12)]

    async def run_charger(charge_point_id: str, url: str) -> None:
        async with serving_charger(url, charge_point_id, TestChargePoint) as cp:
            await cp.call(BOOT)
            for n in range(15):
                await cp.call(meter_values(1, 1000 + n))

    async with deployment(bus, sink, ("gw-a", "gw-b")) as (_, gateways):
        urls = [gateways["gw-a"].url, gateways["gw-b"].url]
        await asyncio.gather(*(run_charger(cp, urls[n % 2]) for n, cp in enumerate(ids)))
        # Answered means stored by the broker; the controller may still be working through them.
        await until("every meter value handled", lambda: len(sink.of_type(MeterValuesReceived)) == 15 * len(ids), 10)

    for charge_point_id in ids:
        registers = [
            e.samples[0].value for e in sink.of_type(MeterValuesReceived) if e.charge_point_id == charge_point_id
        ]
        assert registers == pytest.approx([(1000 + n) / 1000 for n in range(15)])


async def test_commands_reach_the_gateway_that_holds_the_charger(bus: BusSettings) -> None:
    sink = RecordingSink()
    async with deployment(bus, sink, ("gw-a", "gw-b")) as (controller, gateways):
        chargers = controller.link.chargers
        async with serving_charger(gateways["gw-b"].url, "CP7", TestChargePoint) as cp:
            cp.configuration = {"HeartbeatInterval": "300"}
            await cp.call(BOOT)
            await until("the controller knows the holder", lambda: "CP7" in chargers.connected_ids())
            answer = await chargers.send_call(
                "CP7", CentralSystemAction.GET_CONFIGURATION, {"key": ["HeartbeatInterval"]}
            )
            profile = PowerLimitProfile(
                profile_id=7,
                purpose=ProfilePurpose.TX_DEFAULT,
                stack_level=1,
                connector_id=1,
                start_utc=None,
                duration_s=None,
                periods=(PowerPeriod(0, 11.0),),
            )
            result = await chargers.set_charging_profile("CP7", profile, AC_22KW)
            await until(
                "profile 7 on the charger", lambda: any(r.profile["charging_profile_id"] == 7 for r in cp.received)
            )
            frames = await chargers.recent_frames("CP7")

        absent = await chargers.send_call("CP404", CentralSystemAction.CLEAR_CACHE, {})

    assert answer.outcome is RawCallOutcome.RESULT
    assert answer.payload is not None
    assert "configurationKey" in answer.payload
    assert result.status is CommandStatus.ACCEPTED
    assert [r.connector_id for r in cp.received if r.profile["charging_profile_id"] == 7] == [1]
    assert any("GetConfiguration" in frame.frame for frame in frames)
    assert absent.outcome is RawCallOutcome.NOT_CONNECTED


async def test_without_a_controller_meter_values_are_kept_and_questions_fail_fast(bus: BusSettings) -> None:
    sink = RecordingSink()
    async with (
        deployment(bus, sink) as (controller, gateways),
        serving_charger(gateways["gw-a"].url, "CP1", TestChargePoint) as cp,
    ):
        await cp.call(BOOT)
        await controller.stop()
        # Answered by the gateway once the broker has them, with no controller running.
        for energy_wh in (2000, 2100, 2200):
            await cp.call(meter_values(42, energy_wh))
        with pytest.raises(InternalError):
            await cp.call(call.Authorize(id_tag="ok-late"), suppress=False)

        later = RecordingSink()
        restarted = await start_controller(bus, later)
        try:
            await until("the kept meter values", lambda: len(later.of_type(MeterValuesReceived)) == 3, timeout_s=10)
            authorized = await cp.call(call.Authorize(id_tag="ok-now"))
        finally:
            await restarted.stop()

    assert [e.samples[0].value for e in later.of_type(MeterValuesReceived)] == pytest.approx([2.0, 2.1, 2.2])
    # Nobody waited for the first question any more: it was not acted on.
    assert [event for event in later.events if isinstance(event, tuple)] == [("CP1", "ok-now")]
    assert authorized.id_tag_info == {"status": "Accepted"}


async def test_a_disconnect_from_a_gateway_the_charger_has_left_is_ignored(bus: BusSettings) -> None:
    sink = RecordingSink()
    async with deployment(bus, sink, ("gw-a", "gw-b")) as (controller, gateways):
        holders = controller.link.holders
        on_a = serving_charger(gateways["gw-a"].url, "CP1", TestChargePoint)
        old = await on_a.__aenter__()
        await old.call(BOOT)
        async with serving_charger(gateways["gw-b"].url, "CP1", TestChargePoint) as new:
            await new.call(BOOT)
            await until("gw-b holds it", lambda: holders.holder("CP1") == "gw-b")
            # The charger's old socket on gw-a dies only now: gw-a reports a disconnect.
            await on_a.__aexit__(None, None, None)
            await new.call(call.Heartbeat())
            await asyncio.sleep(1.0)
            assert holders.holder("CP1") == "gw-b"
            assert sink.of_type(ChargerDisconnected) == []
        await until(
            "the disconnect from gw-b stands", lambda: len(sink.of_type(ChargerDisconnected)) == 1, timeout_s=10
        )

    assert holders.holder("CP1") is None


async def test_the_controller_records_as_gone_what_no_gateway_claims_after_a_restart(bus: BusSettings) -> None:
    sink = RecordingSink()
    async with (
        deployment(bus, sink) as (_, gateways),
        serving_charger(gateways["gw-a"].url, "CP1", TestChargePoint) as cp,
    ):
        await cp.call(BOOT)
        restarted_sink = RecordingSink()
        restarted = await start_controller(bus, restarted_sink, stored_connected=["CP1", "CP-GONE"])
        try:
            await until(
                "CP-GONE recorded as disconnected",
                lambda: [e.charge_point_id for e in restarted_sink.of_type(ChargerDisconnected)] == ["CP-GONE"],
                timeout_s=25,
            )
            assert restarted.link.holders.holder("CP1") == "gw-a"
        finally:
            await restarted.stop()


class StuckSink(RecordingSink):
    """A controller whose database stopped answering meter values: it fetches them, never finishes."""

    async def meter_values_received(self, event: MeterValuesReceived) -> None:
        await asyncio.Event().wait()


async def test_a_new_controller_gets_at_once_and_in_order_what_a_dead_one_had_fetched(bus: BusSettings) -> None:
    stuck = StuckSink()
    async with (
        deployment(bus, stuck) as (controller, gateways),
        serving_charger(gateways["gw-a"].url, "CP1", TestChargePoint) as cp,
    ):
        await cp.call(BOOT)
        for energy_wh in (1000, 1100, 1200):
            await cp.call(meter_values(7, energy_wh))
        await asyncio.sleep(0.5)  # fetched by the stuck controller, none acknowledged
        await controller.stop()
        later = RecordingSink()
        restarted = await start_controller(bus, later)
        try:
            await cp.call(meter_values(7, 1300))
            # Well inside the 60 s after which the old consumer would have delivered them again.
            await until("all four", lambda: len(later.of_type(MeterValuesReceived)) == 4, timeout_s=10)
        finally:
            await restarted.stop()

    assert [e.samples[0].value for e in later.of_type(MeterValuesReceived)] == pytest.approx([1.0, 1.1, 1.2, 1.3])
