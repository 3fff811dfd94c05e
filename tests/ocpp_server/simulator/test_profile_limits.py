"""OCPP 1.6 composite limit of a simulated charger, checked on hand-computed cases.

AC charger: 22 kW, 3 phases at 230 V, so 1 A per phase = 0.69 kW; minimum current 6 A.
DC charger: 50 kW, limits in W.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.simulator.charger_spec import RateUnit, SimChargerSpec
from ocpp_server.simulator.profiles import (
    ChargingProfile,
    ProfileKind,
    ProfilePurpose,
    RunningTransaction,
    SchedulePeriod,
    composite_schedule,
    effective_limit_kw,
    limit_to_kw,
)

AC = SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22")
DC = SimChargerSpec("DC-1", "DC", 50.0, "W", 3, 400.0, 0.0, "Vettabbia", "SimDC50")
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
TX = RunningTransaction(transaction_id=7, started_at=T0)


def profile(
    purpose: ProfilePurpose,
    periods: list[tuple[int, float]],
    *,
    profile_id: int = 1,
    stack_level: int = 0,
    connector_id: int | None = None,
    kind: ProfileKind = "Absolute",
    rate_unit: RateUnit = "A",
    start: datetime | None = T0,
    duration_s: int | None = None,
    **extra: object,
) -> ChargingProfile:
    if connector_id is None:
        connector_id = 0 if purpose == "ChargePointMaxProfile" else 1
    return ChargingProfile(
        profile_id=profile_id,
        connector_id=connector_id,
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        rate_unit=rate_unit,
        periods=tuple(SchedulePeriod(s, limit) for s, limit in periods),
        installed_at=T0,
        duration_s=duration_s,
        start_schedule=start,
        **extra,  # type: ignore[arg-type]
    )


def limit_at(
    profiles: list[ChargingProfile],
    minutes: float,
    *,
    spec: SimChargerSpec = AC,
    transaction: RunningTransaction | None = TX,
) -> float:
    return effective_limit_kw(
        profiles, spec, connector_id=1, transaction=transaction, now=T0 + timedelta(minutes=minutes)
    )


def test_without_profiles_the_hardware_maximum_applies() -> None:
    assert limit_at([], 5) == 22.0
    assert limit_at([], 5, spec=DC) == 50.0


def test_amps_convert_with_voltage_times_phases() -> None:
    assert limit_to_kw(AC, 32.0, "A", None) == pytest.approx(22.08)
    assert limit_to_kw(AC, 16.0, "A", None) == pytest.approx(11.04)
    assert limit_to_kw(AC, 16.0, "A", 1) == pytest.approx(3.68)
    assert limit_to_kw(DC, 20_000.0, "W", None) == pytest.approx(20.0)


def test_an_ac_limit_below_the_minimum_current_stops_charging() -> None:
    assert limit_to_kw(AC, 5.9, "A", None) == 0.0
    assert limit_to_kw(AC, 6.0, "A", None) == pytest.approx(4.14)
    # 3 kW on 3 phases is 4.35 A per phase: below 6 A as well
    assert limit_to_kw(AC, 3000.0, "W", None) == 0.0


def test_tx_default_limits_the_transaction() -> None:
    assert limit_at([profile("TxDefaultProfile", [(0, 16.0)])], 5) == pytest.approx(11.04)


def test_tx_profile_overrides_tx_default_whatever_the_stack_levels() -> None:
    default = profile("TxDefaultProfile", [(0, 16.0)], stack_level=5)
    tx = profile("TxProfile", [(0, 10.0)], profile_id=2, stack_level=0, kind="Relative", start=None)
    assert limit_at([default, tx], 5) == pytest.approx(6.9)


def test_tx_profile_for_another_transaction_does_not_apply() -> None:
    default = profile("TxDefaultProfile", [(0, 16.0)])
    other = profile("TxProfile", [(0, 10.0)], profile_id=2, transaction_id=8)
    assert limit_at([default, other], 5) == pytest.approx(11.04)


def test_tx_profile_needs_a_transaction() -> None:
    tx = profile("TxProfile", [(0, 10.0)], profile_id=2)
    assert limit_at([tx], 5, transaction=None) == 22.0


def test_highest_stack_level_wins_within_a_purpose() -> None:
    low = profile("TxDefaultProfile", [(0, 16.0)], stack_level=1)
    high = profile("TxDefaultProfile", [(0, 8.0)], profile_id=2, stack_level=2)
    assert limit_at([low, high], 5) == pytest.approx(5.52)


def test_an_expired_schedule_falls_back_to_the_lower_stack_level() -> None:
    base = profile("TxDefaultProfile", [(0, 16.0)], stack_level=1)
    one_hour = profile("TxDefaultProfile", [(0, 8.0)], profile_id=2, stack_level=2, duration_s=3600)
    assert limit_at([base, one_hour], 59) == pytest.approx(5.52)
    assert limit_at([base, one_hour], 60) == pytest.approx(11.04)


def test_an_expired_schedule_without_fallback_leaves_the_hardware_limit() -> None:
    one_hour = profile("TxDefaultProfile", [(0, 8.0)], duration_s=3600)
    assert limit_at([one_hour], 61) == 22.0


def test_periods_follow_each_other() -> None:
    stepped = profile("TxDefaultProfile", [(0, 32.0), (1800, 10.0), (3600, 0.0)])
    assert limit_at([stepped], 29) == 22.0  # 22.08 kW, capped by the hardware
    assert limit_at([stepped], 30) == pytest.approx(6.9)
    assert limit_at([stepped], 61) == 0.0


def test_a_schedule_not_yet_started_does_not_apply() -> None:
    later = profile("TxDefaultProfile", [(0, 8.0)], start=T0 + timedelta(hours=1))
    assert limit_at([later], 30) == 22.0
    assert limit_at([later], 60) == pytest.approx(5.52)


def test_relative_schedules_count_from_the_transaction_start() -> None:
    relative = profile("TxDefaultProfile", [(0, 8.0), (600, 16.0)], kind="Relative", start=None)
    late_start = RunningTransaction(7, T0 + timedelta(minutes=30))
    assert limit_at([relative], 35, transaction=late_start) == pytest.approx(5.52)
    assert limit_at([relative], 41, transaction=late_start) == pytest.approx(11.04)


def test_daily_recurring_schedule_repeats_every_day() -> None:
    night_only = profile(
        "TxDefaultProfile", [(0, 0.0), (6 * 3600, 16.0)], kind="Recurring", recurrency="Daily", start=T0
    )
    assert limit_at([night_only], 60) == 0.0
    assert limit_at([night_only], 2 * 24 * 60 + 60) == 0.0
    assert limit_at([night_only], 2 * 24 * 60 + 7 * 60) == pytest.approx(11.04)


def test_validity_window_bounds_a_profile() -> None:
    windowed = profile(
        "TxDefaultProfile",
        [(0, 8.0)],
        valid_from=T0 + timedelta(minutes=10),
        valid_to=T0 + timedelta(minutes=20),
    )
    assert limit_at([windowed], 5) == 22.0
    assert limit_at([windowed], 15) == pytest.approx(5.52)
    assert limit_at([windowed], 20) == 22.0


def test_charge_point_max_profile_caps_the_transaction_limit() -> None:
    cp_max = profile("ChargePointMaxProfile", [(0, 10.0)])
    tx = profile("TxProfile", [(0, 20.0)], profile_id=2)
    assert limit_at([cp_max, tx], 5) == pytest.approx(6.9)
    assert effective_limit_kw([cp_max, tx], AC, connector_id=0, transaction=TX, now=T0) == pytest.approx(6.9)


def test_charge_point_max_profile_in_watts_on_dc() -> None:
    cp_max = profile("ChargePointMaxProfile", [(0, 30_000.0)], rate_unit="W")
    default = profile("TxDefaultProfile", [(0, 40_000.0)], profile_id=2, rate_unit="W")
    assert limit_at([cp_max, default], 5, spec=DC) == pytest.approx(30.0)


def test_connector_default_replaces_the_all_connector_default_at_equal_level() -> None:
    everywhere = profile("TxDefaultProfile", [(0, 16.0)], connector_id=0, stack_level=1)
    this_one = profile("TxDefaultProfile", [(0, 8.0)], profile_id=2, connector_id=1, stack_level=1)
    higher_everywhere = profile("TxDefaultProfile", [(0, 12.0)], profile_id=3, connector_id=0, stack_level=2)
    assert limit_at([everywhere], 5) == pytest.approx(11.04)
    assert limit_at([everywhere, this_one], 5) == pytest.approx(5.52)
    assert limit_at([everywhere, this_one, higher_everywhere], 5) == pytest.approx(8.28)


def test_composite_schedule_lists_every_change_in_the_window() -> None:
    base = profile("TxDefaultProfile", [(0, 16.0)], stack_level=1)
    stepped = profile("TxDefaultProfile", [(0, 8.0), (900, 10.0)], profile_id=2, stack_level=2, duration_s=1800)
    periods = composite_schedule([base, stepped], AC, connector_id=1, transaction=TX, start=T0, duration_s=3600)
    assert [offset for offset, _ in periods] == [0, 900, 1800]
    assert [limit for _, limit in periods] == pytest.approx([5.52, 6.9, 11.04])


def test_composite_schedule_merges_equal_neighbours() -> None:
    same_twice = profile("TxDefaultProfile", [(0, 16.0), (600, 16.0)])
    periods = composite_schedule([same_twice], AC, connector_id=1, transaction=None, start=T0, duration_s=1200)
    assert [offset for offset, _ in periods] == [0]
    assert periods[0][1] == pytest.approx(11.04)


def test_a_recurring_profile_needs_its_start_and_recurrence() -> None:
    with pytest.raises(ValueError, match="Recurring"):
        profile("TxDefaultProfile", [(0, 8.0)], kind="Recurring", start=T0)


limits_a = st.floats(0.0, 64.0, allow_nan=False)


@given(
    cp_max_a=st.none() | limits_a,
    default_a=st.none() | limits_a,
    tx_a=st.none() | limits_a,
    minutes=st.floats(-120.0, 3000.0),
    duration_s=st.none() | st.integers(1, 7200),
)
def test_limit_stays_between_zero_the_hardware_and_the_charge_point_maximum(
    cp_max_a: float | None, default_a: float | None, tx_a: float | None, minutes: float, duration_s: int | None
) -> None:
    profiles = []
    if cp_max_a is not None:
        profiles.append(profile("ChargePointMaxProfile", [(0, cp_max_a)], duration_s=duration_s))
    if default_a is not None:
        profiles.append(profile("TxDefaultProfile", [(0, default_a)], profile_id=2))
    if tx_a is not None:
        profiles.append(profile("TxProfile", [(0, tx_a)], profile_id=3, duration_s=duration_s))
    limit_kw = limit_at(profiles, minutes)
    assert 0.0 <= limit_kw <= AC.max_power_kw
    cp_max_in_force = cp_max_a is not None and 0 <= minutes * 60 < (duration_s or float("inf"))
    if cp_max_in_force:
        assert cp_max_a is not None
        assert limit_kw <= cp_max_a * 0.69 + 1e-9
