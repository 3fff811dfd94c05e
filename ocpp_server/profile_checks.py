"""Every charging profile is checked against what its charger reported before it is sent.

A charger answers a profile it cannot hold with Rejected at best; some accept it and drop periods or
stack levels silently. So the central system fits the profile to the charger where that keeps its
meaning (the unit the charger allows, its ChargingScheduleMaxPeriods: periods are merged keeping the
lower limit) and refuses to send it where it does not (a stack level above ChargeProfileMaxStackLevel,
a charger without the SmartCharging feature profile). Without reported capabilities (not read yet, or
the charger did not answer) only the profile's own consistency is checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ocpp_server.capabilities import ChargerCapabilities
from ocpp_server.commands import ConnectorElectrical, PowerLimitProfile, RateUnit
from ocpp_server.profiles import to_ocpp16_charging_profile


@dataclass(frozen=True, slots=True)
class PreparedProfile:
    """A profile ready to send (``payload``), or why it must not be sent (``refusal``)."""

    connector_id: int
    payload: dict[str, Any] | None
    """``cs_charging_profiles`` for ``ocpp.v16.call.SetChargingProfile``, snake_case."""
    refusal: str | None = None


def prepare_profile(
    profile: PowerLimitProfile,
    electrical: ConnectorElectrical,
    capabilities: ChargerCapabilities | None,
    *,
    max_periods: int | None = None,
) -> PreparedProfile:
    """``profile`` [kW] in the form this charger takes, or the reason it cannot take it.

    Parameters
    ----------
    profile
        The limits [kW].
    electrical
        How the site describes the connector (unit, phases, voltage, minimum current).
    capabilities
        What the charger reported; None if not known.
    max_periods
        The site's ChargingScheduleMaxPeriods for the charger; the lower of it and the reported one applies.
    """
    refusal = _refusal(profile, capabilities)
    if refusal is not None:
        return PreparedProfile(profile.connector_id, None, refusal)
    if capabilities is not None:
        units = capabilities.allowed_rate_units
        if units is not None and electrical.rate_unit not in units:
            # A limit in W or in A says the same when the conversion is known (V x phases): use the
            # unit the charger allows rather than have it refuse the profile.
            electrical = replace(electrical, rate_unit=next(iter(sorted(units))))
        reported = capabilities.max_schedule_periods
        if reported is not None:
            max_periods = reported if max_periods is None else min(max_periods, reported)
    try:
        payload = to_ocpp16_charging_profile(profile, electrical, max_periods=max_periods)
    except ValueError as error:
        return PreparedProfile(profile.connector_id, None, f"inconsistent profile: {error}")
    problems = payload_problems(payload, capabilities)
    if problems:
        return PreparedProfile(profile.connector_id, None, "; ".join(problems))
    return PreparedProfile(profile.connector_id, payload)


def payload_problems(
    payload: dict[str, Any], capabilities: ChargerCapabilities | None, *, alternating_current: bool | None = None
) -> list[str]:
    """What makes ``cs_charging_profiles`` (snake_case) invalid for a charger reporting ``capabilities``.

    ``alternating_current`` False (a DC charger) forbids ``number_phases``, which OCPP 1.6 defines
    for AC only; None does not check it.
    """
    problems: list[str] = []
    schedule = payload["charging_schedule"]
    unit = schedule["charging_rate_unit"]
    periods: Sequence[dict[str, Any]] = schedule["charging_schedule_period"]
    if capabilities is not None:
        stack_level = capabilities.max_stack_level
        if stack_level is not None and payload["stack_level"] > stack_level:
            problems.append(f"stack level {payload['stack_level']} above ChargeProfileMaxStackLevel {stack_level}")
        units = capabilities.allowed_rate_units
        if units is not None and RateUnit(unit) not in units:
            allowed = ",".join(sorted(u.value for u in units))
            problems.append(f"rate unit {unit} not in ChargingScheduleAllowedChargingRateUnit ({allowed})")
        max_periods = capabilities.max_schedule_periods
        if max_periods is not None and len(periods) > max_periods:
            problems.append(f"{len(periods)} periods above ChargingScheduleMaxPeriods {max_periods}")
    if not periods or periods[0]["start_period"] != 0:
        problems.append("the first period must start at 0")
    for index, period in enumerate(periods):
        limit = period["limit"]
        if not math.isfinite(limit) or limit < 0:
            problems.append(f"period {index}: limit {limit} must be a number >= 0")
        if index and period["start_period"] <= periods[index - 1]["start_period"]:
            problems.append(f"period {index}: starts no later than the period before")
        phases = period.get("number_phases")
        if phases is not None and phases not in (1, 2, 3):
            problems.append(f"period {index}: numberPhases {phases} must be 1, 2 or 3")
        if phases is not None and alternating_current is False:
            problems.append(f"period {index}: numberPhases is for AC chargers only")
    min_rate = schedule.get("min_charging_rate")
    if min_rate is not None:
        highest = max((p["limit"] for p in periods), default=0.0)
        if not math.isfinite(min_rate) or min_rate < 0 or min_rate > highest:
            problems.append(f"minChargingRate {min_rate} must be between 0 and the highest limit {highest}")
    return problems


def _refusal(profile: PowerLimitProfile, capabilities: ChargerCapabilities | None) -> str | None:
    if capabilities is None:
        return None
    if capabilities.smart_charging is False:
        reported = ",".join(sorted(capabilities.feature_profiles or ()))
        return f"the charger does not support SmartCharging (SupportedFeatureProfiles: {reported})"
    stack_level = capabilities.max_stack_level
    if stack_level is not None and profile.stack_level > stack_level:
        return f"stack level {profile.stack_level} above ChargeProfileMaxStackLevel {stack_level}"
    connectors = capabilities.number_of_connectors
    if connectors is not None and profile.connector_id > connectors:
        return f"connector {profile.connector_id} above NumberOfConnectors {connectors}"
    return None
