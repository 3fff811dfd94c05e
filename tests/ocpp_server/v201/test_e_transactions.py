"""Block E (transactions) of a 2.0.1 station, over real websockets: the same events as a 1.6 charger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from ocpp.v201 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import (
    ChargerNotice,
    ConnectorStatusChanged,
    Measurand,
    MeterValuesReceived,
    NoticeKind,
    TransactionStarted,
    TransactionStopped,
)
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running, until
from tests.ocpp_server.v201.station import station
from tests.ocpp_server.v201.test_b_provisioning import ACCEPTED, BOOT

T0 = "2025-06-02T09:50:00Z"
T1 = "2025-06-02T09:55:00Z"
T2 = "2025-06-02T09:58:00Z"


def meter(
    timestamp: str, energy_wh: float, power_w: float | None = None, context: str = "Sample.Periodic"
) -> dict[str, Any]:
    sampled: list[dict[str, Any]] = [
        {"value": energy_wh, "measurand": "Energy.Active.Import.Register", "context": context}
    ]
    if power_w is not None:
        sampled.append({"value": power_w / 1000, "measurand": "Power.Active.Import", "unit_of_measure": {"unit": "kW"}})
    return {"timestamp": timestamp, "sampled_value": sampled}


def event(kind: str, seq_no: int, timestamp: str, **fields: Any) -> call.TransactionEvent:
    info = {"transaction_id": "tx-A", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=kind,
        timestamp=timestamp,
        trigger_reason=fields.pop("trigger_reason", "MeterValuePeriodic"),
        seq_no=seq_no,
        transaction_info=info,
        **fields,
    )


async def test_tc_e_started_updated_ended_give_the_events_of_a_16_transaction() -> None:
    sink = RecordingSink(boot=ACCEPTED, costs_eur={1001: 0.4649})
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        started = await cs.call(
            event(
                "Started",
                0,
                T0,
                trigger_reason="Authorized",
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "ok-van-1", "type": "ISO14443"},
                meter_value=[meter(T0, 12_000.0, context="Transaction.Begin")],
                info={"charging_state": "Charging"},
            )
        )
        updated = await cs.call(event("Updated", 1, T1, meter_value=[meter(T1, 13_500.0, power_w=18_000.0)]))
        sink.costs_eur[1001] = 0.6181
        ended = await cs.call(
            event(
                "Ended",
                2,
                T2,
                trigger_reason="EVDeparted",
                meter_value=[meter(T2, 14_000.0, context="Transaction.End")],
                info={"stopped_reason": "EVDisconnected"},
            )
        )

    assert started.id_token_info == {"status": "Accepted"}
    assert ended.id_token_info is None
    # I02 / I03: the running cost with a metered update, the final cost with the end, in cents.
    assert (started.total_cost, updated.total_cost, ended.total_cost) == (0.46, 0.46, 0.62)
    assert sink.of_type(TransactionStarted) == [
        TransactionStarted("CS1", 1, "ok-van-1", 12.0, datetime(2025, 6, 2, 9, 50, tzinfo=UTC), None, "tx-A")
    ]
    stopped = sink.of_type(TransactionStopped)
    assert len(stopped) == 1
    assert (stopped[0].transaction_id, stopped[0].meter_stop_kwh, stopped[0].reason) == (1001, 14.0, "EVDisconnected")
    updates = sink.of_type(MeterValuesReceived)
    assert [(u.transaction_id, u.connector_id) for u in updates] == [(1001, 1), (1001, 1)]
    samples = {(s.measurand, s.value) for s in updates[1].samples}
    assert samples == {(Measurand.ENERGY_IMPORT_KWH, 13.5), (Measurand.POWER_IMPORT_KW, 18.0)}
    statuses = [s.status for s in sink.of_type(ConnectorStatusChanged)]
    assert statuses == ["Charging", "Finishing"]


async def test_tc_e_offline_events_in_any_order_open_the_transaction_once_and_the_token_fills_in_later() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        # The Updated sent offline arrives before the Started, which carried no token.
        await cs.call(event("Updated", 1, T1, offline=True, evse={"id": 2}, meter_value=[meter(T1, 5_000.0)]))
        await cs.call(event("Started", 0, T0, offline=True, evse={"id": 2}, trigger_reason="CablePluggedIn"))
        authorized = await cs.call(
            event("Updated", 2, T2, trigger_reason="Authorized", id_token={"id_token": "ok-car", "type": "ISO14443"})
        )
        again = await cs.call(event("Updated", 3, T2))

    starts = sink.of_type(TransactionStarted)
    assert [(s.id_tag, s.connector_id, s.charger_transaction_id) for s in starts] == [
        ("", 2, "tx-A"),
        ("ok-car", 2, "tx-A"),
    ]
    assert authorized.id_token_info == {"status": "Accepted"}
    assert again.id_token_info is None
    # The meter values went with the first number the application gave the transaction.
    assert {u.transaction_id for u in sink.of_type(MeterValuesReceived)} == {1001}


async def test_tc_e_an_end_with_missing_sequence_numbers_asks_the_station_and_reports_lost_events() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(event("Started", 0, T0, evse={"id": 1}, meter_value=[meter(T0, 1_000.0)]))
        await cs.call(event("Ended", 3, T2, offline=True, meter_value=[meter(T2, 4_000.0)]))
        asked = await cs.transaction_status_requests.get()
        await until(
            "the lost events notice",
            lambda: any(n.status == "TransactionEventsLost" for n in sink.of_type(ChargerNotice)),
        )

    assert asked == "tx-A"
    notice = next(n for n in sink.of_type(ChargerNotice) if n.status == "TransactionEventsLost")
    assert notice.kind is NoticeKind.EVENT
    assert "[1, 2]" in (notice.detail or "")
    assert notice.at == NOW


async def test_an_event_of_an_unknown_transaction_without_an_evse_is_refused() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await cs.send_frame(
            "TransactionEvent",
            {
                "eventType": "Updated",
                "timestamp": T1,
                "triggerReason": "MeterValuePeriodic",
                "seqNo": 4,
                "transactionInfo": {"transactionId": "tx-unknown"},
            },
            "e1",
        )

    assert answer[:3] == [4, "e1", "OccurrenceConstraintViolation"]
    assert sink.of_type(TransactionStarted) == []


async def test_status_notifications_are_told_in_16_words() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        for status in ("Available", "Occupied", "Reserved", "Unavailable", "Faulted"):
            await cs.call(call.StatusNotification(timestamp=T0, connector_status=status, evse_id=3, connector_id=1))

    changes = sink.of_type(ConnectorStatusChanged)
    assert [(c.connector_id, c.status, c.error_code) for c in changes] == [
        (3, "Available", "NoError"),
        (3, "Preparing", "NoError"),
        (3, "Reserved", "NoError"),
        (3, "Unavailable", "NoError"),
        (3, "Faulted", "OtherError"),
    ]


async def test_tc_j_meter_values_outside_a_transaction_reach_the_application() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(call.MeterValues(evse_id=2, meter_value=[meter(T1, 7_250.0, power_w=0.0)]))

    [received] = sink.of_type(MeterValuesReceived)
    assert (received.connector_id, received.transaction_id) == (2, None)
    assert {(s.measurand, s.value) for s in received.samples} == {
        (Measurand.ENERGY_IMPORT_KWH, 7.25),
        (Measurand.POWER_IMPORT_KW, 0.0),
    }


async def test_tc_e_after_a_reconnect_events_without_an_evse_go_to_the_transaction_the_application_holds() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        async with station(url, "CS1", central=central) as cs:
            await cs.call(BOOT)
            await cs.call(event("Started", 0, T0, evse={"id": 3}, id_token={"id_token": "ok-1", "type": "ISO14443"}))
        # A new connection knows nothing of the transaction; the station names no EVSE any more.
        async with station(url, "CS1", central=central) as cs:
            updated = await cs.call(event("Updated", 1, T1, meter_value=[meter(T1, 2_000.0)]))

    assert updated.total_cost is None
    assert len(sink.of_type(TransactionStarted)) == 1
    [metered] = [m for m in sink.of_type(MeterValuesReceived) if m.samples]
    assert (metered.transaction_id, metered.connector_id) == (1001, 3)


async def test_tc_e_an_end_without_a_reading_keeps_the_last_one_the_application_holds() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        async with station(url, "CS1", central=central) as cs:
            await cs.call(BOOT)
            await cs.call(event("Started", 0, T0, evse={"id": 1}, meter_value=[meter(T0, 4_500.0)]))
        async with station(url, "CS1", central=central) as cs:
            # After a reconnect, an Ended with no meter value: the stop is not a reading of 0 kWh.
            await cs.call(event("Ended", 1, T2, trigger_reason="EVDeparted"))

    [stopped] = sink.of_type(TransactionStopped)
    assert (stopped.transaction_id, stopped.meter_stop_kwh) == (1001, 4.5)


def other_event(kind: str, seq_no: int, timestamp: str, **fields: Any) -> call.TransactionEvent:
    """An event of a second transaction, tx-B, on EVSE 2."""
    info = {"transaction_id": "tx-B", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=kind,
        timestamp=timestamp,
        trigger_reason="MeterValuePeriodic",
        seq_no=seq_no,
        transaction_info=info,
        **fields,
    )


async def test_tc_e_53_one_counter_for_the_whole_station_is_no_gap() -> None:
    """TC_E_53: a station may number every event with one counter, its transactions' numbers interleaved."""
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(event("Started", 7, T0, evse={"id": 1}))
        await cs.call(other_event("Started", 8, T0, evse={"id": 2}))
        await cs.call(event("Updated", 9, T1))
        await cs.call(other_event("Updated", 10, T1))
        await cs.call(event("Ended", 11, T2))
        await cs.call(other_event("Ended", 12, T2))
        await asyncio.sleep(0.2)

    assert cs.transaction_status_requests.empty()
    assert sink.of_type(ChargerNotice) == []
    assert len(sink.of_type(TransactionStopped)) == 2


async def test_tc_e_one_counter_for_the_station_with_a_number_nobody_received_is_a_gap() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(event("Started", 7, T0, evse={"id": 1}))
        await cs.call(other_event("Started", 8, T0, evse={"id": 2}))
        # 9 never arrives.
        await cs.call(event("Ended", 10, T2, offline=True))
        asked = await asyncio.wait_for(cs.transaction_status_requests.get(), timeout=5)

    assert asked == "tx-A"
