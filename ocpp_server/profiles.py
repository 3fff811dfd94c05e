"""PowerLimitProfile (kW) -> OCPP 1.6 csChargingProfiles in the charger's unit, A or W.

Limits are computed exactly (each float read as the decimal it prints as) and rounded down to
0.1 A or 0.1 W so that the profile a charger receives never allows more than the plan:
A = kW * 1000 / (voltage_v * phases); a positive current below the connector's minimum becomes 0
(the charger could not deliver it anyway).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

from ocpp_server.commands import (
    ConnectorElectrical,
    PowerLimitProfile,
    PowerPeriod,
    ProfilePurpose,
    RateUnit,
)
from ocpp_server.timestamps import format_utc_timestamp, require_utc

FAILSAFE_PROFILE_ID = 1
"""chargingProfileId of the fail-safe TxDefaultProfile; reinstalling it replaces the previous one."""


@dataclass(frozen=True, slots=True)
class _Period:
    start_s: int
    limit_tenths: int
    """Limit in tenths of the rate unit (0.1 A or 0.1 W), kept as an integer to stay exact."""


def failsafe_profile(limit_kw: float) -> PowerLimitProfile:
    """The profile installed on every accepted boot and reconnect: ``limit_kw`` [kW] for ever.

    A TxDefaultProfile on connector 0 at stack level 0 applies to every connector and is overridden
    by any plan the dispatcher sends at a higher stack level or as TxProfile. It is Relative (no
    start time) because an Absolute schedule depends on the charger's clock: a charger whose clock
    lags behind the central system would consider a schedule starting "now" as not yet started and
    charge without limit, which is exactly what a fail-safe must prevent. A single Relative period
    from offset 0 without duration holds from the first second of every transaction.
    """
    return PowerLimitProfile(
        profile_id=FAILSAFE_PROFILE_ID,
        purpose=ProfilePurpose.TX_DEFAULT,
        stack_level=0,
        connector_id=0,
        start_utc=None,
        duration_s=None,
        periods=(PowerPeriod(start_offset_s=0, limit_kw=limit_kw),),
    )


def to_ocpp16_charging_profile(
    profile: PowerLimitProfile, electrical: ConnectorElectrical, *, max_periods: int | None = None
) -> dict[str, Any]:
    """Build the ``cs_charging_profiles`` argument of ``ocpp.v16.call.SetChargingProfile``.

    Parameters
    ----------
    profile
        Limits in [kW]; ``start_utc`` None makes a Relative profile, otherwise Absolute.
    electrical
        How the connector takes limits (A or W, phases, voltage [V], minimum current [A]).
    max_periods
        Most schedule periods the charger accepts (its ChargingScheduleMaxPeriods); longer
        schedules are merged pairwise, keeping the lower limit, until they fit.

    Returns
    -------
    dict
        snake_case keys, as the ``ocpp`` library converts them to camelCase when it sends the call.
        ``valid_to`` is set only for an Absolute profile with a duration, so that a charger which
        judges profiles by validity rather than by schedule duration also drops back to the lower
        stack levels (the fail-safe) once the plan has run out.

    Raises
    ------
    ValueError
        If the profile or the electrical description is inconsistent; the message names the field.
    """
    _check_profile(profile)
    _check_electrical(electrical)
    if max_periods is not None and max_periods < 1:
        raise ValueError(f"max_periods must be at least 1, got {max_periods}")
    periods = _merge_equal([_Period(p.start_offset_s, _limit_tenths(p.limit_kw, electrical)) for p in profile.periods])
    if max_periods is not None:
        periods = _reduce_to(periods, max_periods, profile.duration_s)
    schedule: dict[str, Any] = {
        "charging_rate_unit": electrical.rate_unit.value,
        "charging_schedule_period": [_period_dict(p, electrical) for p in periods],
    }
    if profile.duration_s is not None:
        schedule["duration"] = profile.duration_s
    result: dict[str, Any] = {
        "charging_profile_id": profile.profile_id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": profile.purpose.value,
        "charging_profile_kind": "Relative" if profile.start_utc is None else "Absolute",
        "charging_schedule": schedule,
    }
    if profile.start_utc is not None:
        start_utc = require_utc(profile.start_utc, "start_utc")
        schedule["start_schedule"] = format_utc_timestamp(start_utc)
        if profile.duration_s is not None:
            valid_to = start_utc + timedelta(seconds=profile.duration_s)
            result["valid_to"] = format_utc_timestamp(valid_to)
    if profile.transaction_id is not None:
        result["transaction_id"] = profile.transaction_id
    return result


def limit_in_rate_unit(limit_kw: float, electrical: ConnectorElectrical) -> float:
    """One limit [kW] converted to the connector's unit, [A] or [W], rounded down to 0.1."""
    _check_electrical(electrical)
    return _limit_tenths(limit_kw, electrical) / 10


def _limit_tenths(limit_kw: float, electrical: ConnectorElectrical) -> int:
    if not math.isfinite(limit_kw) or limit_kw < 0:
        raise ValueError(f"limit_kw must be a finite number >= 0, got {limit_kw!r}")
    watts = _decimal_value(limit_kw) * 1000
    if electrical.rate_unit is RateUnit.WATTS:
        return math.floor(watts * 10)
    volt_amps_per_a = _decimal_value(electrical.voltage_v) * electrical.phases
    tenths = math.floor(watts * 10 / volt_amps_per_a)
    if Fraction(tenths, 10) < _decimal_value(electrical.min_current_a):
        return 0
    return tenths


def _decimal_value(number: float) -> Fraction:
    """The float as the decimal it prints as, exactly.

    4.14 kW is 6.0 A on 3 x 230 V; its binary value (4.13999...) would round down to 5.9 A and,
    below a 6 A minimum, to 0: a plan at exactly the minimum current would never charge.
    """
    return Fraction(repr(number))


def _period_dict(period: _Period, electrical: ConnectorElectrical) -> dict[str, Any]:
    result: dict[str, Any] = {"start_period": period.start_s, "limit": period.limit_tenths / 10}
    if electrical.rate_unit is RateUnit.AMPS:
        result["number_phases"] = electrical.phases
    return result


def _merge_equal(periods: list[_Period]) -> list[_Period]:
    merged: list[_Period] = []
    for period in periods:
        if merged and merged[-1].limit_tenths == period.limit_tenths:
            continue
        merged.append(period)
    return merged


def _reduce_to(periods: list[_Period], max_periods: int, duration_s: int | None) -> list[_Period]:
    """Merge neighbours until ``max_periods`` remain, each merge keeping the lower limit.

    Each step merges the pair that gives up the least energy: the difference of the two limits
    times the length of the higher one. The last period of an open-ended schedule has no end, so
    lowering it is the last resort.
    """
    periods = list(periods)
    while len(periods) > max_periods:
        best_index = min(range(len(periods) - 1), key=lambda i: _merge_cost(periods, i, duration_s))
        first, second = periods[best_index], periods[best_index + 1]
        lower = min(first.limit_tenths, second.limit_tenths)
        periods[best_index : best_index + 2] = [_Period(first.start_s, lower)]
        periods = _merge_equal(periods)
    return periods


def _merge_cost(periods: list[_Period], index: int, duration_s: int | None) -> float:
    first, second = periods[index], periods[index + 1]
    higher_index = index if first.limit_tenths > second.limit_tenths else index + 1
    length_s = _length_s(periods, higher_index, duration_s)
    return abs(first.limit_tenths - second.limit_tenths) * length_s


def _length_s(periods: list[_Period], index: int, duration_s: int | None) -> float:
    if index + 1 < len(periods):
        return periods[index + 1].start_s - periods[index].start_s
    if duration_s is None:
        return math.inf
    return duration_s - periods[index].start_s


def _check_profile(profile: PowerLimitProfile) -> None:
    if not profile.periods:
        raise ValueError("periods: a profile needs at least one period")
    if profile.periods[0].start_offset_s != 0:
        raise ValueError(f"periods[0].start_offset_s must be 0, got {profile.periods[0].start_offset_s}")
    for index in range(1, len(profile.periods)):
        if profile.periods[index].start_offset_s <= profile.periods[index - 1].start_offset_s:
            raise ValueError(f"periods[{index}].start_offset_s must be after the previous period's")
    if profile.duration_s is not None and profile.duration_s <= profile.periods[-1].start_offset_s:
        raise ValueError(
            f"duration_s ({profile.duration_s}) must end after the last period starts "
            f"({profile.periods[-1].start_offset_s})"
        )
    if profile.stack_level < 0:
        raise ValueError(f"stack_level must be >= 0, got {profile.stack_level}")
    if profile.connector_id < 0:
        raise ValueError(f"connector_id must be >= 0, got {profile.connector_id}")
    if profile.purpose is ProfilePurpose.CHARGE_POINT_MAX and profile.connector_id != 0:
        raise ValueError("connector_id must be 0 for a ChargePointMaxProfile")
    if profile.transaction_id is not None and profile.purpose is not ProfilePurpose.TX:
        raise ValueError("transaction_id is only allowed on a TxProfile")


def _check_electrical(electrical: ConnectorElectrical) -> None:
    if electrical.phases not in (1, 2, 3):
        raise ValueError(f"phases must be 1, 2 or 3, got {electrical.phases}")
    if not math.isfinite(electrical.voltage_v) or electrical.voltage_v <= 0:
        raise ValueError(f"voltage_v must be a positive number, got {electrical.voltage_v!r}")
    if not math.isfinite(electrical.min_current_a) or electrical.min_current_a < 0:
        raise ValueError(f"min_current_a must be a number >= 0, got {electrical.min_current_a!r}")
