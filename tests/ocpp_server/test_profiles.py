"""kW profiles converted for OCPP 1.6 chargers: amps or watts, rounded down, merged, never above plan."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.commands import (
    ConnectorElectrical,
    PowerLimitProfile,
    PowerPeriod,
    ProfilePurpose,
    RateUnit,
)
from ocpp_server.profiles import (
    FAILSAFE_PROFILE_ID,
    failsafe_profile,
    limit_in_rate_unit,
    to_ocpp16_charging_profile,
)

AC_3PH = ConnectorElectrical(RateUnit.AMPS, phases=3, voltage_v=230.0, min_current_a=6.0, max_power_kw=22.0)
AC_1PH = ConnectorElectrical(RateUnit.AMPS, phases=1, voltage_v=230.0, min_current_a=6.0, max_power_kw=7.4)
DC = ConnectorElectrical(RateUnit.WATTS, max_power_kw=50.0)


def profile(
    *periods: tuple[int, float],
    start_utc: datetime | None = None,
    duration_s: int | None = None,
    purpose: ProfilePurpose = ProfilePurpose.TX_DEFAULT,
    transaction_id: int | None = None,
) -> PowerLimitProfile:
    return PowerLimitProfile(
        profile_id=7,
        purpose=purpose,
        stack_level=2,
        connector_id=1,
        start_utc=start_utc,
        duration_s=duration_s,
        periods=tuple(PowerPeriod(start, kw) for start, kw in periods),
        transaction_id=transaction_id,
    )


def limits(payload: dict[str, object]) -> list[tuple[int, float]]:
    schedule = payload["charging_schedule"]
    assert isinstance(schedule, dict)
    return [(p["start_period"], p["limit"]) for p in schedule["charging_schedule_period"]]


@pytest.mark.parametrize(
    ("limit_kw", "electrical", "expected"),
    [
        (11.0, AC_3PH, 15.9),  # 11000 / 690 = 15.942 A
        (22.08, AC_3PH, 32.0),  # 22080 / 690 = 32 A exactly
        (4.14, AC_3PH, 6.0),  # exactly the 6 A minimum: kept
        (4.0, AC_3PH, 0.0),  # 5.797 A is below the 6 A minimum
        (0.0, AC_3PH, 0.0),
        (7.4, AC_1PH, 32.1),  # 7400 / 230 = 32.17 A
        (50.0, DC, 50000.0),
        (12.34567, DC, 12345.6),  # 12345.67 W down to 0.1 W
    ],
)
def test_limit_is_converted_and_rounded_down(limit_kw: float, electrical: ConnectorElectrical, expected: float) -> None:
    assert limit_in_rate_unit(limit_kw, electrical) == expected


def test_relative_profile_in_amps_with_phases() -> None:
    payload = to_ocpp16_charging_profile(profile((0, 11.0), (900, 4.0)), AC_3PH)

    assert payload == {
        "charging_profile_id": 7,
        "stack_level": 2,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [
                {"start_period": 0, "limit": 15.9, "number_phases": 3},
                {"start_period": 900, "limit": 0.0, "number_phases": 3},
            ],
        },
    }


def test_absolute_profile_in_watts_with_start_duration_and_transaction() -> None:
    start = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    payload = to_ocpp16_charging_profile(
        profile(
            (0, 50.0),
            (1800, 25.5),
            start_utc=start,
            duration_s=3600,
            purpose=ProfilePurpose.TX,
            transaction_id=42,
        ),
        DC,
    )

    assert payload["charging_profile_kind"] == "Absolute"
    assert payload["transaction_id"] == 42
    assert payload["valid_to"] == "2025-06-02T13:00:00.000Z"
    assert payload["charging_schedule"] == {
        "charging_rate_unit": "W",
        "charging_schedule_period": [
            {"start_period": 0, "limit": 50000.0},
            {"start_period": 1800, "limit": 25500.0},
        ],
        "duration": 3600,
        "start_schedule": "2025-06-02T12:00:00.000Z",
    }


def test_periods_with_the_same_converted_limit_are_merged() -> None:
    # 11.0 and 11.005 kW are both 15.9 A; 4.0 and 3.0 kW are both 0 A (below 6 A).
    payload = to_ocpp16_charging_profile(profile((0, 11.0), (900, 11.005), (1800, 4.0), (2700, 3.0)), AC_3PH)

    assert limits(payload) == [(0, 15.9), (1800, 0.0)]


def test_too_many_periods_are_merged_keeping_the_lower_limit_where_least_energy_is_lost() -> None:
    # In watts: 10, 20, 12, 20 kW in four 900 s periods. Merging (20, 12) or (12, 20) both give
    # up 8 kW for 900 s, the cheapest; the first wins: 10, 12, 20. Then (10, 12) gives up 2 kW for
    # 1800 s against 8 kW for 900 s: 10 kW until 2700 s, then 20 kW.
    payload = to_ocpp16_charging_profile(
        profile((0, 10.0), (900, 20.0), (1800, 12.0), (2700, 20.0), duration_s=3600), DC, max_periods=2
    )

    assert limits(payload) == [(0, 10000.0), (2700, 20000.0)]


def test_failsafe_is_a_relative_tx_default_on_the_whole_charger() -> None:
    payload = to_ocpp16_charging_profile(failsafe_profile(4.6), AC_3PH)

    assert payload == {
        "charging_profile_id": FAILSAFE_PROFILE_ID,
        "stack_level": 0,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": 6.6, "number_phases": 3}],
        },
    }


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (profile((60, 11.0)), "periods\\[0\\].start_offset_s must be 0"),
        (profile((0, 11.0), (0, 5.0)), "periods\\[1\\].start_offset_s"),
        (profile((0, -1.0)), "limit_kw must be a finite number >= 0"),
        (profile((0, float("nan"))), "limit_kw must be a finite number >= 0"),
        (profile((0, 11.0), (900, 5.0), duration_s=900), "duration_s"),
        (profile((0, 11.0), transaction_id=3), "transaction_id is only allowed on a TxProfile"),
        (profile((0, 11.0), start_utc=datetime(2025, 6, 2, 12, 0)), "start_utc must be timezone-aware"),
        (profile(), "at least one period"),
    ],
)
def test_inconsistent_profiles_are_refused_naming_the_field(bad: PowerLimitProfile, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_ocpp16_charging_profile(bad, AC_3PH)


def test_max_periods_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_periods"):
        to_ocpp16_charging_profile(profile((0, 11.0)), AC_3PH, max_periods=0)


electricals = st.one_of(
    st.builds(
        ConnectorElectrical,
        rate_unit=st.just(RateUnit.AMPS),
        phases=st.sampled_from([1, 3]),
        voltage_v=st.sampled_from([220.0, 230.0, 231.5, 240.0]),
        min_current_a=st.sampled_from([0.0, 6.0, 8.0]),
    ),
    st.just(DC),
)
limits_kw = st.floats(min_value=0.0, max_value=400.0, allow_nan=False)


def _kw_of(limit: float, electrical: ConnectorElectrical) -> Fraction:
    """What the charger is allowed, in kW, read exactly from the number sent on the wire."""
    sent = Fraction(repr(limit))
    if electrical.rate_unit is RateUnit.WATTS:
        return sent / 1000
    return sent * Fraction(repr(electrical.voltage_v)) * electrical.phases / 1000


def _limit_at(periods: list[tuple[int, float]], t: int) -> float:
    return next(limit for start, limit in reversed(periods) if start <= t)


@given(
    kws=st.lists(limits_kw, min_size=1, max_size=30),
    electrical=electricals,
    max_periods=st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
)
def test_the_converted_profile_never_allows_more_than_the_plan(
    kws: list[float], electrical: ConnectorElectrical, max_periods: int | None
) -> None:
    planned = [(900 * i, kw) for i, kw in enumerate(kws)]
    payload = to_ocpp16_charging_profile(
        profile(*planned, duration_s=900 * len(kws)), electrical, max_periods=max_periods
    )
    sent = limits(payload)

    if max_periods is not None:
        assert len(sent) <= max_periods
    for start, kw in planned:
        allowed = _limit_at(sent, start)
        assert _kw_of(allowed, electrical) <= Fraction(repr(kw))
        assert (Fraction(repr(allowed)) * 10).denominator == 1  # a multiple of 0.1, as the schema demands
