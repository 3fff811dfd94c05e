"""Schedule -> TxProfiles: periods, change detection, and what happens when a charger refuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from fleet.dispatch import Dispatcher, limit_at, same_plan, tx_profile
from fleet.planning import PluggedVehicle
from fleet.site_config import load_site
from ocpp_server.commands import CommandResult, CommandStatus, ConnectorElectrical, PowerLimitProfile, ProfilePurpose
from optimizer import Schedule, SolveStatus, VehiclePlan
from tests.fleet.builders import T0

SITE = load_site()


def _schedule(power_kw: tuple[float, ...], start_offset_min: int = 0) -> Schedule:
    start = T0 + timedelta(minutes=start_offset_min)
    starts = tuple(start + timedelta(minutes=15 * t) for t in range(len(power_kw)))
    plan = VehiclePlan("VAN-01", "MI-AC-01/1", power_kw, sum(power_kw) / 4, 0.0)
    return Schedule(
        status=SolveStatus.OPTIMAL,
        termination="optimal",
        objective_eur=1.0,
        slot_starts_utc=starts,
        slot_duration_h=(0.25,) * len(power_kw),
        plans=(plan,),
        ev_power_kw=power_kw,
        grid_import_kw=power_kw,
        solve_time_s=0.01,
    )


PLUGGED = PluggedVehicle(7, "MI-AC-01", 1, "VAN-01", 11.0, T0 + timedelta(hours=8), 30.0, 3.0, "booking")


def test_profile_merges_repeated_limits_and_starts_just_before_the_plan() -> None:
    schedule = _schedule((11.0, 11.0, 4.0, 0.0, 0.0))
    profile = tx_profile(schedule, schedule.plans[0].power_kw, 1, 7)
    assert profile.purpose is ProfilePurpose.TX
    assert profile.transaction_id == 7
    assert profile.start_utc == T0 - timedelta(seconds=10)
    assert [(p.start_offset_s, p.limit_kw) for p in profile.periods] == [(0, 11.0), (1810, 4.0), (2710, 0.0)]
    assert profile.duration_s == 10 + 5 * 900
    assert limit_at(profile, T0 + timedelta(minutes=31)) == 4.0
    assert limit_at(profile, T0 + timedelta(minutes=75)) is None


def test_a_draw_held_below_the_minimum_is_sent_as_the_minimum() -> None:
    # a van tapering near full draws 2.6 kW: its charger is given 6 A (4.14 kW), never 0
    schedule = _schedule((11.0, 2.6, 1.2, 0.0))
    profile = tx_profile(schedule, schedule.plans[0].power_kw, 1, 7, min_power_kw=4.14)
    assert [(p.start_offset_s, p.limit_kw) for p in profile.periods] == [(0, 11.0), (910, 4.14), (2710, 0.0)]


def test_a_need_below_a_slot_at_the_minimum_gets_the_minimum_for_part_of_the_slot() -> None:
    # the plan's 2.76 kW average in the second quarter hour is 6 A (4.14 kW) for 1/6 h: from
    # 10 + 900 s to 10 + 900 + 600 s, then nothing
    schedule = _schedule((11.0, 2.76, 0.0, 0.0))
    profile = tx_profile(schedule, schedule.plans[0].power_kw, 1, 7, min_power_kw=4.14, part_slot_h=(0, 1 / 6, 0, 0))
    assert [(p.start_offset_s, p.limit_kw) for p in profile.periods] == [(0, 11.0), (910, 4.14), (1510, 0.0)]
    # in the first slot, which the profile starts 10 s before
    first = _schedule((1.38, 0.0))
    profile = tx_profile(first, first.plans[0].power_kw, 1, 7, min_power_kw=4.14, part_slot_h=(1.38 * 0.25 / 4.14, 0))
    assert [(p.start_offset_s, p.limit_kw) for p in profile.periods] == [(0, 4.14), (310, 0.0)]


def test_same_plan_shifted_by_a_slot_is_not_sent_again() -> None:
    old = tx_profile(_schedule((11.0, 11.0, 4.0, 4.0)), (11.0, 11.0, 4.0, 4.0), 1, 7)
    new = tx_profile(_schedule((11.0, 4.0, 4.0), 15), (11.0, 4.0, 4.0), 1, 7)
    assert same_plan(old, new, T0 + timedelta(minutes=15))
    changed = tx_profile(_schedule((11.0, 5.0, 4.0), 15), (11.0, 5.0, 4.0), 1, 7)
    assert not same_plan(old, changed, T0 + timedelta(minutes=15))
    longer = tx_profile(_schedule((11.0, 4.0, 4.0, 4.0), 15), (11.0, 4.0, 4.0, 4.0), 1, 7)
    assert not same_plan(old, longer, T0 + timedelta(minutes=15))


@dataclass
class _RecordingSender:
    """A charger's answers, scripted; records what it was asked."""

    answers: list[CommandStatus]
    sent: list[PowerLimitProfile] = field(default_factory=list)
    cleared: list[int | None] = field(default_factory=list)

    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult:
        self.sent.append(profile)
        return CommandResult(self.answers.pop(0))

    async def clear_charging_profile(self, charge_point_id: str, *, profile_id: int | None = None) -> CommandResult:
        self.cleared.append(profile_id)
        return CommandResult(CommandStatus.ACCEPTED)


async def test_unchanged_plan_is_sent_once() -> None:
    sender = _RecordingSender([CommandStatus.ACCEPTED])
    dispatcher = Dispatcher(SITE, sender)
    schedule = _schedule((11.0, 4.0))
    first = await dispatcher.dispatch(schedule, [PLUGGED], T0)
    second = await dispatcher.dispatch(schedule, [PLUGGED], T0 + timedelta(minutes=1))
    assert [o.result for o in first] == [CommandResult(CommandStatus.ACCEPTED)]
    assert second == []
    assert len(sender.sent) == 1


async def test_rejected_profile_is_cleared_and_sent_again_next_time() -> None:
    sender = _RecordingSender([CommandStatus.REJECTED, CommandStatus.ACCEPTED])
    dispatcher = Dispatcher(SITE, sender)
    schedule = _schedule((11.0, 4.0))
    [outcome] = await dispatcher.dispatch(schedule, [PLUGGED], T0)
    assert outcome.result is not None
    assert outcome.result.status is CommandStatus.REJECTED
    assert sender.cleared == [1001]
    await dispatcher.dispatch(schedule, [PLUGGED], T0)
    assert len(sender.sent) == 2
    assert dispatcher.installed("MI-AC-01/1") is not None


async def test_forgotten_charger_gets_its_profile_again() -> None:
    sender = _RecordingSender([CommandStatus.ACCEPTED, CommandStatus.ACCEPTED])
    dispatcher = Dispatcher(SITE, sender)
    schedule = _schedule((11.0, 4.0))
    await dispatcher.dispatch(schedule, [PLUGGED], T0)
    dispatcher.forget("MI-AC-01")
    await dispatcher.dispatch(schedule, [PLUGGED], T0)
    assert len(sender.sent) == 2


@pytest.mark.parametrize("status", [CommandStatus.NOT_CONNECTED])
async def test_offline_charger_is_not_asked_to_clear(status: CommandStatus) -> None:
    sender = _RecordingSender([status])
    await Dispatcher(SITE, sender).dispatch(_schedule((11.0,)), [PLUGGED], T0)
    assert sender.cleared == []
