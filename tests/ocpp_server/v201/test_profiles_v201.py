"""kW profiles as OCPP 2.0.1 SetChargingProfile requests, the K01 rules, composite schedules in kW."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.commands import ConnectorElectrical, PowerLimitProfile, PowerPeriod, ProfilePurpose, RateUnit
from ocpp_server.errors import InvalidPayloadError
from ocpp_server.profiles_v201 import (
    CompositeScheduleKw,
    composite_schedule_kw,
    k01_problems,
    to_ocpp201_charging_profile,
)
from ocpp_server.schemas import OCPP_201, compiled_schema_file

AC_3PH = ConnectorElectrical(RateUnit.AMPS, phases=3, voltage_v=230.0, min_current_a=6.0, max_power_kw=22.0)
AC_1PH = ConnectorElectrical(RateUnit.AMPS, phases=1, voltage_v=230.0, min_current_a=6.0, max_power_kw=7.4)
DC = ConnectorElectrical(RateUnit.WATTS, max_power_kw=50.0)
START = datetime(2025, 3, 4, 5, 0, tzinfo=UTC)


def profile(
    *periods: tuple[int, float],
    purpose: ProfilePurpose = ProfilePurpose.TX_DEFAULT,
    connector_id: int = 1,
    start_utc: datetime | None = None,
    duration_s: int | None = None,
) -> PowerLimitProfile:
    return PowerLimitProfile(
        profile_id=7,
        purpose=purpose,
        stack_level=2,
        connector_id=connector_id,
        start_utc=start_utc,
        duration_s=duration_s,
        periods=tuple(PowerPeriod(start, kw) for start, kw in periods),
    )


def schema_valid(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` after checking it against the ocpp package's SetChargingProfileRequest schema."""
    check = compiled_schema_file(OCPP_201, "SetChargingProfileRequest.json")
    assert check is not None
    check(request)
    return request


def limits(request: dict[str, Any]) -> list[tuple[int, float]]:
    (schedule,) = request["chargingProfile"]["chargingSchedule"]
    return [(p["startPeriod"], p["limit"]) for p in schedule["chargingSchedulePeriod"]]


def test_one_period_in_amps_is_a_relative_profile_on_the_evse() -> None:
    request = to_ocpp201_charging_profile(profile((0, 11.0)), AC_3PH)

    assert schema_valid(request) == {
        "evseId": 1,
        "chargingProfile": {
            "id": 7,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": [
                {
                    "id": 7,
                    "chargingRateUnit": "A",
                    # 11000 W / (230 V x 3) = 15.94 A, rounded down.
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 15.9, "numberPhases": 3}],
                }
            ],
        },
    }


def test_multi_period_tx_profile_in_amps_is_absolute_with_validity_and_transaction() -> None:
    request = to_ocpp201_charging_profile(
        profile((0, 11.0), (900, 22.08), (1800, 4.14), purpose=ProfilePurpose.TX, start_utc=START, duration_s=3600),
        AC_3PH,
        charger_transaction_id="b6f0c2a4-tx",
        schedule_id=70,
    )

    assert schema_valid(request) == {
        "evseId": 1,
        "chargingProfile": {
            "id": 7,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [
                {
                    "id": 70,
                    "chargingRateUnit": "A",
                    # 22.08 kW is 32 A exactly; 4.14 kW is 6 A exactly, the minimum.
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 15.9, "numberPhases": 3},
                        {"startPeriod": 900, "limit": 32.0, "numberPhases": 3},
                        {"startPeriod": 1800, "limit": 6.0, "numberPhases": 3},
                    ],
                    "startSchedule": "2025-03-04T05:00:00.000Z",
                    "duration": 3600,
                }
            ],
            "validTo": "2025-03-04T06:00:00.000Z",
            "transactionId": "b6f0c2a4-tx",
        },
    }


def test_one_period_in_watts_has_no_number_of_phases() -> None:
    request = to_ocpp201_charging_profile(profile((0, 11.0)), DC)

    (schedule,) = schema_valid(request)["chargingProfile"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W"
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 11000.0}]


def test_multi_period_station_maximum_in_watts() -> None:
    request = to_ocpp201_charging_profile(
        profile(
            (0, 50.0),
            (600, 1.23456),
            (1200, 0.0),
            purpose=ProfilePurpose.CHARGE_POINT_MAX,
            connector_id=0,
            start_utc=START,
        ),
        DC,
    )

    assert schema_valid(request)["evseId"] == 0
    charging_profile = request["chargingProfile"]
    assert charging_profile["chargingProfilePurpose"] == "ChargingStationMaxProfile"
    assert charging_profile["chargingProfileKind"] == "Absolute"
    assert "validTo" not in charging_profile  # no duration: valid until replaced
    # 1234.56 W rounded down to 0.1 W.
    assert limits(request) == [(0, 50000.0), (600, 1234.5), (1200, 0.0)]


@pytest.mark.parametrize(
    ("limit_kw", "electrical", "expected"),
    [
        (7.4, AC_1PH, 32.1),  # 7400 / 230 = 32.17 A
        (4.14, AC_3PH, 6.0),  # exactly the 6 A minimum
        (4.13, AC_3PH, 0.0),  # 5.98 A: below the minimum, the charger could not deliver it
        (1.38, AC_1PH, 6.0),  # 1380 / 230 = 6 A exactly on one phase
        (11.00005, DC, 11000.0),  # 11000.05 W
    ],
)
def test_limits_are_rounded_down_and_below_minimum_current_become_zero(
    limit_kw: float, electrical: ConnectorElectrical, expected: float
) -> None:
    request = to_ocpp201_charging_profile(profile((0, limit_kw)), electrical)

    assert limits(schema_valid(request)) == [(0, expected)]


def test_too_many_periods_are_reduced_to_periods_per_schedule_keeping_lower_limits() -> None:
    # As in 1.6: 10, 20, 12, 20 kW in four 900 s periods become 10 kW until 2700 s, then 20 kW.
    request = to_ocpp201_charging_profile(
        profile((0, 10.0), (900, 20.0), (1800, 12.0), (2700, 20.0), duration_s=3600), DC, max_periods=2
    )

    assert limits(schema_valid(request)) == [(0, 10000.0), (2700, 20000.0)]


def test_equal_converted_neighbours_are_merged() -> None:
    # 11.0 and 11.005 kW are both 15.9 A; 4.0 and 3.0 kW are both 0 A.
    request = to_ocpp201_charging_profile(profile((0, 11.0), (900, 11.005), (1800, 4.0), (2700, 3.0)), AC_3PH)

    assert limits(schema_valid(request)) == [(0, 15.9), (1800, 0.0)]


@pytest.mark.parametrize(
    ("bad", "transaction_id", "message"),
    [
        (profile((0, 11.0), purpose=ProfilePurpose.TX), None, "K01.FR.03"),
        (profile((0, 11.0)), "tx-1", "only allowed on a TxProfile"),
        (profile((0, 11.0), purpose=ProfilePurpose.TX), "x" * 37, "1 to 36 characters"),
        (profile((0, 11.0), purpose=ProfilePurpose.CHARGE_POINT_MAX, connector_id=0), None, "K01.FR.38"),
        (profile((0, 11.0), purpose=ProfilePurpose.CHARGE_POINT_MAX, start_utc=START), None, "connector_id"),
        (profile((60, 11.0)), None, "start_offset_s must be 0"),
    ],
)
def test_profiles_that_cannot_be_sent_are_refused(
    bad: PowerLimitProfile, transaction_id: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        to_ocpp201_charging_profile(bad, AC_3PH, charger_transaction_id=transaction_id)


def valid_request() -> dict[str, Any]:
    return to_ocpp201_charging_profile(
        profile((0, 11.0), (900, 7.0), purpose=ProfilePurpose.TX, start_utc=START, duration_s=1800),
        AC_3PH,
        charger_transaction_id="tx-1",
    )


def test_a_request_built_here_breaks_no_k01_rule() -> None:
    assert k01_problems(valid_request(), allowed_rate_units={"A", "W"}, periods_per_schedule=2, max_stack_level=2) == []


def test_snake_case_requests_are_checked_too() -> None:
    request = {
        "evse_id": 0,
        "charging_profile": {
            "id": 1,
            "stack_level": 0,
            "charging_profile_purpose": "TxDefaultProfile",
            "charging_profile_kind": "Relative",
            "charging_schedule": [
                {"id": 1, "charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 1.0}]}
            ],
        },
    }

    assert k01_problems(request) == []


Edit = Callable[[dict[str, Any]], None]


def _profile(request: dict[str, Any]) -> dict[str, Any]:
    charging_profile: dict[str, Any] = request["chargingProfile"]
    return charging_profile


def _schedule(request: dict[str, Any]) -> dict[str, Any]:
    schedule: dict[str, Any] = _profile(request)["chargingSchedule"][0]
    return schedule


def _periods(request: dict[str, Any]) -> list[dict[str, Any]]:
    periods: list[dict[str, Any]] = _schedule(request)["chargingSchedulePeriod"]
    return periods


def _station_max(request: dict[str, Any]) -> None:
    _profile(request)["chargingProfilePurpose"] = "ChargingStationMaxProfile"
    del _profile(request)["transactionId"]


def _relative_station_max(request: dict[str, Any]) -> None:
    _station_max(request)
    request["evseId"] = 0
    _profile(request)["chargingProfileKind"] = "Relative"
    del _schedule(request)["startSchedule"]


def _recurring_without_start(request: dict[str, Any]) -> None:
    _profile(request).update(chargingProfileKind="Recurring", recurrencyKind="Daily")
    del _schedule(request)["startSchedule"]


def _station_max_with_two_schedules(request: dict[str, Any]) -> None:
    _station_max(request)
    request["evseId"] = 0
    _profile(request)["chargingSchedule"] = [_schedule(request)] * 2


K01_CASES: list[tuple[str, Edit, str]] = [
    ("TxProfile without transactionId", lambda r: _profile(r).pop("transactionId"), "K01.FR.03"),
    ("TxProfile on the station", lambda r: r.update(evseId=0), "K01.FR.16"),
    ("phaseToUse on 3 phases", lambda r: _periods(r)[0].update(phaseToUse=1), "K01.FR.19"),
    (
        "external constraints",
        lambda r: _profile(r).update(chargingProfilePurpose="ChargingStationExternalConstraints"),
        "K01.FR.22",
    ),
    ("unit the charger lacks", lambda r: _schedule(r).update(chargingRateUnit="W"), "K01.FR.26"),
    ("first period not at 0", lambda r: _periods(r)[0].update(startPeriod=5), "K01.FR.31"),
    ("periods out of order", lambda r: _periods(r)[1].update(startPeriod=0), "K01.FR.35"),
    ("relative station maximum", _relative_station_max, "K01.FR.38"),
    ("absolute without start", lambda r: _schedule(r).pop("startSchedule"), "K01.FR.40"),
    ("recurring without start", _recurring_without_start, "K01.FR.40"),
    ("relative with start", lambda r: _profile(r).update(chargingProfileKind="Relative"), "K01.FR.41"),
    ("station maximum on an EVSE", _station_max, "evseId must be 0"),
    (
        "transactionId on a default",
        lambda r: _profile(r).update(chargingProfilePurpose="TxDefaultProfile"),
        "transactionId is only allowed in a TxProfile",
    ),
    ("recurring without kind", lambda r: _profile(r).update(chargingProfileKind="Recurring"), "recurrencyKind"),
    (
        "validity reversed",
        lambda r: _profile(r).update(validFrom="2025-03-04T07:00:00Z", validTo="2025-03-04T06:00:00Z"),
        "must be before validTo",
    ),
    ("validity unreadable", lambda r: _profile(r).update(validFrom="tomorrow"), "validFrom"),
    ("four phases", lambda r: _periods(r)[0].update(numberPhases=4), "numberPhases must be 1, 2 or 3"),
    ("negative limit", lambda r: _periods(r)[0].update(limit=-1.0), "limit must be a finite number >= 0"),
    ("two decimals", lambda r: _periods(r)[0].update(limit=15.95), "more than one decimal"),
    (
        "more periods than reported",
        lambda r: _periods(r).append({"startPeriod": 1200, "limit": 6.0}),
        "PeriodsPerSchedule 2",
    ),
    ("no periods", lambda r: _periods(r).clear(), "at least one period"),
    ("no schedule", lambda r: _profile(r).update(chargingSchedule=[]), "1 to 3 schedules"),
    ("four schedules", lambda r: _profile(r).update(chargingSchedule=[_schedule(r)] * 4), "1 to 3 schedules"),
    ("several schedules outside a TxProfile", _station_max_with_two_schedules, "several chargingSchedules"),
    ("stack level above the charger's", lambda r: _profile(r).update(stackLevel=3), "ProfileStackLevel 2"),
    ("negative stack level", lambda r: _profile(r).update(stackLevel=-1), "stackLevel must be an integer >= 0"),
    ("negative EVSE", lambda r: r.update(evseId=-1), "evseId must be an integer >= 0"),
    ("zero duration", lambda r: _schedule(r).update(duration=0), "duration"),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, x) for _, e, x in K01_CASES], ids=[c[0] for c in K01_CASES])
def test_each_k01_problem_is_found(edit: Edit, expected: str) -> None:
    request = copy.deepcopy(valid_request())
    edit(request)

    problems = k01_problems(request, allowed_rate_units={"A"}, periods_per_schedule=2, max_stack_level=2)

    assert any(expected in problem for problem in problems), problems


def test_without_reported_limits_unit_periods_and_stack_level_are_not_checked() -> None:
    request = copy.deepcopy(valid_request())
    _schedule(request)["chargingRateUnit"] = "W"
    _profile(request)["stackLevel"] = 9
    _periods(request).append({"startPeriod": 1200, "limit": 6.0})

    assert k01_problems(request) == []


@st.composite
def plans(draw: st.DrawFn) -> tuple[PowerLimitProfile, ConnectorElectrical, int | None]:
    electrical = draw(st.sampled_from([AC_3PH, AC_1PH, DC]))
    kws = draw(st.lists(st.floats(min_value=0.0, max_value=50.0, allow_nan=False), min_size=1, max_size=12))
    purpose = draw(st.sampled_from(list(ProfilePurpose)))
    absolute = purpose is ProfilePurpose.CHARGE_POINT_MAX or draw(st.booleans())
    planned = profile(
        *((900 * i, kw) for i, kw in enumerate(kws)),
        purpose=purpose,
        connector_id=0 if purpose is ProfilePurpose.CHARGE_POINT_MAX else 1,
        start_utc=START if absolute else None,
        duration_s=draw(st.sampled_from([None, 900 * len(kws)])),
    )
    return planned, electrical, draw(st.one_of(st.none(), st.integers(min_value=1, max_value=6)))


@given(plans())
def test_every_converted_profile_is_schema_valid_breaks_no_k01_rule_and_allows_no_more_than_planned(
    plan: tuple[PowerLimitProfile, ConnectorElectrical, int | None],
) -> None:
    planned, electrical, max_periods = plan
    transaction_id = "tx-1" if planned.purpose is ProfilePurpose.TX else None

    request = schema_valid(
        to_ocpp201_charging_profile(planned, electrical, charger_transaction_id=transaction_id, max_periods=max_periods)
    )

    assert k01_problems(request, allowed_rate_units={electrical.rate_unit}, periods_per_schedule=max_periods) == []
    composite = composite_schedule_kw(
        {**_schedule(request), "evseId": 1, "duration": 900, "scheduleStart": "2025-03-04T05:00:00Z"}, electrical
    )
    for sent in composite.periods:
        in_force = [p.limit_kw for p in planned.periods if p.start_offset_s <= sent.start_offset_s][-1]
        assert sent.limit_kw <= in_force + 1e-9


def test_composite_schedule_in_amps_uses_each_periods_phases() -> None:
    composite = composite_schedule_kw(
        {
            "evseId": 2,
            "duration": 3600,
            "scheduleStart": "2025-03-04T05:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 15.9, "numberPhases": 3},
                {"startPeriod": 600, "limit": 16.0, "numberPhases": 1},
                {"startPeriod": 1200, "limit": 10.0},
            ],
        },
        AC_3PH,
    )

    assert composite == CompositeScheduleKw(
        evse_id=2,
        start_utc=START,
        duration_s=3600,
        # 15.9 x 230 x 3 = 10971 W; 16 x 230 x 1 = 3680 W; 10 x 230 x 3 (the EVSE's phases) = 6900 W.
        periods=(PowerPeriod(0, 10.971), PowerPeriod(600, 3.68), PowerPeriod(1200, 6.9)),
    )


def test_composite_schedule_in_watts_and_snake_case() -> None:
    composite = composite_schedule_kw(
        {
            "evse_id": 0,
            "duration": 60,
            "schedule_start": "2025-03-04T06:00:00+01:00",
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": 22000.5}],
        },
        DC,
    )

    assert composite.start_utc == START
    assert composite.periods == (PowerPeriod(0, 22.0005),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chargingRateUnit": "kW"}, "neither A nor W"),
        ({"scheduleStart": "soon"}, "scheduleStart"),
        (
            {"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1.0}, {"startPeriod": 0, "limit": 2.0}]},
            "out of order",
        ),
    ],
)
def test_unreadable_composite_schedules_are_refused(change: dict[str, Any], message: str) -> None:
    schedule = {
        "evseId": 1,
        "duration": 60,
        "scheduleStart": "2025-03-04T05:00:00Z",
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1.0}],
        **change,
    }

    with pytest.raises(InvalidPayloadError, match=message):
        composite_schedule_kw(schedule, DC)
