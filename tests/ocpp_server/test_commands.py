"""Charging profile commands: every outcome a charger can produce is a CommandResult."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from ocpp.v16 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import CommandResult, CommandStatus, PowerLimitProfile, PowerPeriod, ProfilePurpose
from ocpp_server.ports import BootDecision
from tests.ocpp_server.support import AC_22KW, RecordingSink, charger, fixed_now, running, until

PLAN = PowerLimitProfile(
    profile_id=20,
    purpose=ProfilePurpose.TX,
    stack_level=1,
    connector_id=1,
    start_utc=datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
    duration_s=1800,
    periods=(PowerPeriod(0, 11.0), PowerPeriod(900, 7.0)),
    transaction_id=1001,
)


async def test_an_accepted_profile_reaches_the_charger_in_amps() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)
        received = await cp.next_profile()

    assert result == CommandResult(CommandStatus.ACCEPTED, "Accepted")
    assert received.connector_id == 1
    assert received.profile == {
        "charging_profile_id": 20,
        "stack_level": 1,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Absolute",
        "transaction_id": 1001,
        "valid_to": "2025-06-02T10:30:00.000Z",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "duration": 1800,
            "start_schedule": "2025-06-02T10:00:00.000Z",
            # 11 kW / 690 V = 15.94 A; 7 kW / 690 V = 10.14 A
            "charging_schedule_period": [
                {"start_period": 0, "limit": 15.9, "number_phases": 3},
                {"start_period": 900, "limit": 10.1, "number_phases": 3},
            ],
        },
    }


@pytest.mark.parametrize(
    ("answer", "status"),
    [("Rejected", CommandStatus.REJECTED), ("NotSupported", CommandStatus.NOT_SUPPORTED)],
)
async def test_the_charger_refusing_is_reported(answer: str, status: CommandStatus) -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.profile_answer = answer
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.status is status
    assert not result.ok


async def test_a_callerror_is_reported_with_its_code() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.profile_answer = "CallError"
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.status is CommandStatus.CALL_ERROR
    assert result.detail.startswith("GenericError: profile store full")


async def test_a_silent_charger_times_out() -> None:
    central = CentralSystem(RecordingSink(), fixed_now, call_timeout_s=0.2)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.profile_answer = "Silent"
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.status is CommandStatus.TIMEOUT


async def test_a_charger_that_is_not_connected() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central):
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)
        cleared = await central.clear_charging_profile("CP1")

    assert result.status is CommandStatus.NOT_CONNECTED
    assert cleared.status is CommandStatus.NOT_CONNECTED


async def test_a_charger_leaving_while_a_command_is_pending_is_not_connected() -> None:
    central = CentralSystem(RecordingSink(), fixed_now, call_timeout_s=60)
    async with running(central) as url:
        async with charger(url, "CP1") as cp:
            cp.profile_answer = "Silent"
            command = asyncio.create_task(central.set_charging_profile("CP1", PLAN, AC_22KW))
            await cp.next_profile()
        result = await asyncio.wait_for(command, timeout=5)

    assert result.status is CommandStatus.NOT_CONNECTED


async def test_commands_beyond_the_concurrency_bound_wait_for_a_free_slot() -> None:
    central = CentralSystem(RecordingSink(), fixed_now, call_timeout_s=0.2, max_concurrent_calls=1)
    async with running(central) as url, charger(url, "SLOW") as slow, charger(url, "FAST") as fast:
        slow.profile_answer = "Silent"
        first = asyncio.create_task(central.set_charging_profile("SLOW", PLAN, AC_22KW))
        await slow.next_profile()
        second = asyncio.create_task(central.set_charging_profile("FAST", PLAN, AC_22KW))
        await fast.next_profile()
        slow_done_when_fast_was_asked = first.done()
        results = await asyncio.gather(first, second)

    assert slow_done_when_fast_was_asked
    assert [r.status for r in results] == [CommandStatus.TIMEOUT, CommandStatus.ACCEPTED]


async def test_clearing_passes_the_criteria_and_reports_unknown() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        accepted = await central.clear_charging_profile(
            "CP1", profile_id=20, connector_id=1, purpose=ProfilePurpose.TX, stack_level=1
        )
        criteria = await asyncio.wait_for(cp.cleared.get(), timeout=5)
        cp.clear_answer = "Unknown"
        unknown = await central.clear_charging_profile("CP1")

    assert accepted.status is CommandStatus.ACCEPTED
    assert criteria == {"id": 20, "connector_id": 1, "charging_profile_purpose": "TxProfile", "stack_level": 1}
    assert unknown.status is CommandStatus.UNKNOWN
    assert unknown.detail == "no charging profile matched"


async def test_the_failsafe_outcome_is_logged_and_a_rejection_leaves_the_charger_usable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink(boot=BootDecision(True, 300, {1: AC_22KW}, failsafe_limit_kw=4.6))
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.profile_answer = "Rejected"
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        await cp.next_profile()
        await until(
            "the fail-safe outcome in the log", lambda: "fail-safe 4.6 kW not installed: Rejected" in caplog.text
        )
        cp.profile_answer = "Accepted"
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.ok


async def test_an_inconsistent_profile_is_a_caller_error() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    bad = PowerLimitProfile(20, ProfilePurpose.TX_DEFAULT, 1, 1, None, None, (PowerPeriod(60, 11.0),))
    with pytest.raises(ValueError, match="start_offset_s must be 0"):
        await central.set_charging_profile("CP1", bad, AC_22KW)
