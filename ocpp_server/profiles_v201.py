"""PowerLimitProfile (kW) <-> OCPP 2.0.1 smart charging: SetChargingProfile and GetCompositeSchedule.

A 2.0.1 charging schedule carries the same limits as a 1.6 one, in the same units, under other
names (chargingSchedulePeriod, startPeriod, numberPhases) and with a few more fields (a schedule id,
the EVSE beside the profile rather than inside it, a string transactionId). So the schedule is built
by ``profiles.to_ocpp16_charging_profile`` and renamed here: unit conversion, rounding down to 0.1 A
or 0.1 W, the minimum current, merging equal neighbours and reducing to the charger's
PeriodsPerSchedule are the same rules, written once.

``k01_problems`` lists what breaks the K01 (SetChargingProfile) requirements of OCPP 2.0.1 Part 2
that the central system can see before sending. Requirement numbers are cited where the
specification gives one; rules that come from a field's definition are described without a number.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TypeGuard

from ocpp.v201.enums import ChargingProfileKindEnumType as Kind
from ocpp.v201.enums import ChargingProfilePurposeEnumType as Purpose

from ocpp_server.commands import ConnectorElectrical, PowerLimitProfile, PowerPeriod, ProfilePurpose, RateUnit
from ocpp_server.errors import InvalidPayloadError
from ocpp_server.keys import snake_to_camel_keys
from ocpp_server.profiles import to_ocpp16_charging_profile
from ocpp_server.timestamps import parse_utc_timestamp

TRANSACTION_ID_MAX_LENGTH = 36
"""transactionId is a string of at most 36 characters in 2.0.1 (a UUID fits)."""

MAX_SCHEDULES_PER_PROFILE = 3

_PURPOSES_201 = {
    ProfilePurpose.CHARGE_POINT_MAX: Purpose.charging_station_max_profile.value,
    ProfilePurpose.TX_DEFAULT: Purpose.tx_default_profile.value,
    ProfilePurpose.TX: Purpose.tx_profile.value,
}


@dataclass(frozen=True, slots=True)
class CompositeScheduleKw:
    """A GetCompositeSchedule answer in kW: what the charger says it will allow from ``start_utc``."""

    evse_id: int
    start_utc: datetime
    duration_s: int
    periods: tuple[PowerPeriod, ...]


def to_ocpp201_charging_profile(
    profile: PowerLimitProfile,
    electrical: ConnectorElectrical,
    *,
    charger_transaction_id: str | None = None,
    schedule_id: int | None = None,
    max_periods: int | None = None,
) -> dict[str, Any]:
    """Build the SetChargingProfileRequest payload, in wire form (camelCase keys).

    Parameters
    ----------
    profile
        Limits in [kW]. ``connector_id`` becomes ``evseId`` (0: the whole station); ``start_utc``
        None makes a Relative profile, otherwise Absolute with ``startSchedule``. Its 1.6
        ``transaction_id`` is not used: a 2.0.1 transaction is named by the charger.
    electrical
        How the EVSE takes limits (A or W, phases, voltage [V], minimum current [A]).
    charger_transaction_id
        The transactionId the charger gave the transaction (TransactionEventRequest); required for
        a TxProfile and refused for any other purpose.
    schedule_id
        ``chargingSchedule.id``; the profile id when None.
    max_periods
        The charger's PeriodsPerSchedule; longer schedules are merged, keeping the lower limit.

    Raises
    ------
    ValueError
        If the profile cannot be sent as 2.0.1 (TxProfile without a transaction id, a Relative
        ChargingStationMaxProfile) or is inconsistent; the message names the field.
    """
    if profile.purpose is ProfilePurpose.TX and charger_transaction_id is None:
        raise ValueError("charger_transaction_id is required for a TxProfile (K01.FR.03)")
    if profile.purpose is not ProfilePurpose.TX and charger_transaction_id is not None:
        raise ValueError("charger_transaction_id is only allowed on a TxProfile")
    if charger_transaction_id is not None and not 0 < len(charger_transaction_id) <= TRANSACTION_ID_MAX_LENGTH:
        raise ValueError(f"charger_transaction_id must have 1 to {TRANSACTION_ID_MAX_LENGTH} characters")
    if profile.purpose is ProfilePurpose.CHARGE_POINT_MAX and profile.start_utc is None:
        raise ValueError("a ChargingStationMaxProfile cannot be Relative (K01.FR.38): start_utc is required")
    ocpp16 = to_ocpp16_charging_profile(profile, electrical, max_periods=max_periods)
    schedule16 = ocpp16["charging_schedule"]
    schedule: dict[str, Any] = {
        "id": profile.profile_id if schedule_id is None else schedule_id,
        "chargingRateUnit": schedule16["charging_rate_unit"],
        "chargingSchedulePeriod": [_period_201(p) for p in schedule16["charging_schedule_period"]],
    }
    if "start_schedule" in schedule16:
        schedule["startSchedule"] = schedule16["start_schedule"]
    if "duration" in schedule16:
        schedule["duration"] = schedule16["duration"]
    charging_profile: dict[str, Any] = {
        "id": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": _PURPOSES_201[profile.purpose],
        "chargingProfileKind": ocpp16["charging_profile_kind"],
        "chargingSchedule": [schedule],
    }
    if "valid_to" in ocpp16:
        # As for 1.6: a charger that judges profiles by validity also falls back when the plan ends.
        charging_profile["validTo"] = ocpp16["valid_to"]
    if charger_transaction_id is not None:
        charging_profile["transactionId"] = charger_transaction_id
    return {"evseId": profile.connector_id, "chargingProfile": charging_profile}


def _period_201(period: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"startPeriod": period["start_period"], "limit": period["limit"]}
    if "number_phases" in period:
        result["numberPhases"] = period["number_phases"]
    return result


def k01_problems(
    request: Mapping[str, Any],
    *,
    allowed_rate_units: Collection[str] | None = None,
    periods_per_schedule: int | None = None,
    max_stack_level: int | None = None,
) -> list[str]:
    """Every K01 rule a SetChargingProfileRequest breaks; an empty list means it may be sent.

    Parameters
    ----------
    request
        The request payload, camelCase (snake_case keys are converted).
    allowed_rate_units
        SmartChargingCtrlr.RateUnit (ChargingScheduleChargingRateUnit) as reported: "A", "W";
        None does not check the unit.
    periods_per_schedule
        SmartChargingCtrlr.PeriodsPerSchedule; None does not check the number of periods.
    max_stack_level
        SmartChargingCtrlr.ProfileStackLevel; None does not check the stack level.
    """
    payload = snake_to_camel_keys(dict(request))
    problems: list[str] = []
    evse_id = payload.get("evseId")
    profile = payload.get("chargingProfile")
    if not _is_int(evse_id) or evse_id < 0:
        problems.append(f"evseId must be an integer >= 0, got {evse_id!r}")
        evse_id = None
    if not isinstance(profile, Mapping):
        return [*problems, "chargingProfile is missing"]
    problems.extend(_purpose_problems(profile, evse_id))
    problems.extend(_validity_problems(profile))
    stack_level = profile.get("stackLevel")
    if not _is_int(stack_level) or stack_level < 0:
        problems.append(f"stackLevel must be an integer >= 0, got {stack_level!r}")
    elif max_stack_level is not None and stack_level > max_stack_level:
        problems.append(f"stackLevel {stack_level} above the charger's ProfileStackLevel {max_stack_level}")
    schedules = profile.get("chargingSchedule")
    if not isinstance(schedules, Sequence) or not 1 <= len(schedules) <= MAX_SCHEDULES_PER_PROFILE:
        count = len(schedules) if isinstance(schedules, Sequence) else 0
        problems.append(f"chargingSchedule must hold 1 to {MAX_SCHEDULES_PER_PROFILE} schedules, got {count}")
        return problems
    if len(schedules) > 1 and profile.get("chargingProfilePurpose") != Purpose.tx_profile.value:
        # Several schedules are offered to an ISO 15118 EV to choose from, which only a TxProfile does.
        problems.append("several chargingSchedules are only allowed in a TxProfile (ISO 15118 schedule choice)")
    kind = profile.get("chargingProfileKind")
    for index, schedule in enumerate(schedules):
        where = f"chargingSchedule[{index}]"
        if not isinstance(schedule, Mapping):
            problems.append(f"{where} is not an object")
            continue
        problems.extend(f"{where}: {p}" for p in _kind_problems(kind, schedule))
        problems.extend(f"{where}: {p}" for p in _schedule_problems(schedule, allowed_rate_units, periods_per_schedule))
    return problems


def _purpose_problems(profile: Mapping[str, Any], evse_id: int | None) -> list[str]:
    problems: list[str] = []
    purpose = profile.get("chargingProfilePurpose")
    kind = profile.get("chargingProfileKind")
    has_transaction = profile.get("transactionId") is not None
    if purpose == Purpose.charging_station_external_constraints.value:
        problems.append("K01.FR.22: the CSMS shall not set a ChargingStationExternalConstraints profile")
    elif purpose == Purpose.charging_station_max_profile.value:
        if evse_id is not None and evse_id != 0:
            problems.append(f"a ChargingStationMaxProfile limits the whole station: evseId must be 0, got {evse_id}")
        if kind == Kind.relative.value:
            problems.append("K01.FR.38: a ChargingStationMaxProfile cannot be Relative")
    elif purpose == Purpose.tx_profile.value:
        if evse_id == 0:
            problems.append("K01.FR.16: a TxProfile needs an evseId > 0")
        if not has_transaction:
            problems.append("K01.FR.03: a TxProfile needs the transactionId it applies to")
    elif purpose != Purpose.tx_default_profile.value:
        problems.append(f"chargingProfilePurpose {purpose!r} is not a 2.0.1 purpose")
    if has_transaction and purpose != Purpose.tx_profile.value:
        problems.append("transactionId is only allowed in a TxProfile")
    if kind == Kind.recurring.value and profile.get("recurrencyKind") is None:
        problems.append("a Recurring profile needs a recurrencyKind (Daily or Weekly)")
    if kind not in {k.value for k in Kind}:
        problems.append(f"chargingProfileKind {kind!r} is not Absolute, Recurring or Relative")
    return problems


def _validity_problems(profile: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    moments: dict[str, datetime] = {}
    for field in ("validFrom", "validTo"):
        text = profile.get(field)
        if text is None:
            continue
        try:
            moments[field] = parse_utc_timestamp(text, field)
        except InvalidPayloadError as error:
            problems.append(str(error))
    if len(moments) == 2 and moments["validFrom"] >= moments["validTo"]:
        problems.append(f"validFrom {profile['validFrom']} must be before validTo {profile['validTo']}")
    return problems


def _kind_problems(kind: Any, schedule: Mapping[str, Any]) -> list[str]:
    start = schedule.get("startSchedule")
    if kind in (Kind.absolute.value, Kind.recurring.value) and start is None:
        return [f"K01.FR.40: an {kind} profile needs a startSchedule"]
    if kind == Kind.relative.value and start is not None:
        return ["K01.FR.41: a Relative profile must not have a startSchedule"]
    if start is not None:
        try:
            parse_utc_timestamp(start, "startSchedule")
        except InvalidPayloadError as error:
            return [str(error)]
    return []


def _schedule_problems(
    schedule: Mapping[str, Any], allowed_rate_units: Collection[str] | None, periods_per_schedule: int | None
) -> list[str]:
    problems: list[str] = []
    unit = schedule.get("chargingRateUnit")
    if unit not in (RateUnit.AMPS.value, RateUnit.WATTS.value):
        problems.append(f"chargingRateUnit must be A or W, got {unit!r}")
    elif allowed_rate_units is not None and unit not in {str(u) for u in allowed_rate_units}:
        allowed = ",".join(sorted(str(u) for u in allowed_rate_units))
        problems.append(f"K01.FR.26: chargingRateUnit {unit} is not in the charger's RateUnit ({allowed})")
    duration = schedule.get("duration")
    if duration is not None and (not _is_int(duration) or duration <= 0):
        problems.append(f"duration must be a whole number of seconds > 0, got {duration!r}")
    periods = schedule.get("chargingSchedulePeriod")
    if not isinstance(periods, Sequence) or not periods:
        return [*problems, "chargingSchedulePeriod needs at least one period"]
    if periods_per_schedule is not None and len(periods) > periods_per_schedule:
        problems.append(f"{len(periods)} periods above the charger's PeriodsPerSchedule {periods_per_schedule}")
    previous_start: Any = None
    for index, period in enumerate(periods):
        if not isinstance(period, Mapping):
            problems.append(f"period {index} is not an object")
            continue
        start = period.get("startPeriod")
        if not _is_int(start):
            problems.append(f"period {index}: startPeriod must be an integer, got {start!r}")
        elif index == 0 and start != 0:
            problems.append(f"K01.FR.31: the first period must start at 0, got {start}")
        elif index > 0 and _is_int(previous_start) and start <= previous_start:
            problems.append(f"K01.FR.35: period {index} starts at {start}, not after the period before")
        previous_start = start
        problems.extend(f"period {index}: {p}" for p in _period_problems(period))
    min_rate = schedule.get("minChargingRate")
    if min_rate is not None and (not _is_number(min_rate) or min_rate < 0):
        problems.append(f"minChargingRate must be a number >= 0, got {min_rate!r}")
    return problems


def _period_problems(period: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    limit = period.get("limit")
    if not _is_number(limit) or limit < 0:
        problems.append(f"limit must be a finite number >= 0, got {limit!r}")
    elif (Fraction(repr(float(limit))) * 10).denominator != 1:
        problems.append(f"limit {limit} has more than one decimal")
    phases = period.get("numberPhases")
    if phases is not None and phases not in (1, 2, 3):
        problems.append(f"numberPhases must be 1, 2 or 3, got {phases!r}")
    phase_to_use = period.get("phaseToUse")
    if phase_to_use is not None:
        if phases != 1:
            problems.append("K01.FR.19: phaseToUse is only allowed with numberPhases 1")
        if phase_to_use not in (1, 2, 3):
            problems.append(f"phaseToUse must be 1, 2 or 3, got {phase_to_use!r}")
    return problems


def composite_schedule_kw(schedule: Mapping[str, Any], electrical: ConnectorElectrical) -> CompositeScheduleKw:
    """The ``schedule`` of a GetCompositeScheduleResponse, limits converted to [kW].

    A limit in A is kW = A * voltage_v * phases / 1000, with the period's numberPhases when given
    and the EVSE's phases otherwise; in W, kW = W / 1000. Results are rounded to 1 mW so that a
    reported 15.9 A on 3 x 230 V reads 10.971 kW, not 10.971000000000002.

    Raises
    ------
    InvalidPayloadError
        If the unit is not A or W, a timestamp cannot be read, or periods are not in order.
    """
    fields = snake_to_camel_keys(dict(schedule))
    unit = fields.get("chargingRateUnit")
    if unit not in (RateUnit.AMPS.value, RateUnit.WATTS.value):
        raise InvalidPayloadError(f"chargingRateUnit: {unit!r} is neither A nor W")
    periods: list[PowerPeriod] = []
    for index, period in enumerate(fields["chargingSchedulePeriod"]):
        start_s = period["startPeriod"]
        if periods and start_s <= periods[-1].start_offset_s:
            raise InvalidPayloadError(f"chargingSchedulePeriod[{index}]: startPeriod {start_s} is out of order")
        limit = float(period["limit"])
        if not math.isfinite(limit) or limit < 0:
            raise InvalidPayloadError(f"chargingSchedulePeriod[{index}]: limit {limit!r} must be >= 0")
        if unit == RateUnit.WATTS.value:
            watts = limit
        else:
            phases = period.get("numberPhases") or electrical.phases
            watts = limit * electrical.voltage_v * phases
        periods.append(PowerPeriod(start_offset_s=start_s, limit_kw=round(watts / 1000, 6)))
    return CompositeScheduleKw(
        evse_id=fields["evseId"],
        start_utc=parse_utc_timestamp(fields["scheduleStart"], "scheduleStart"),
        duration_s=fields["duration"],
        periods=tuple(periods),
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return (isinstance(value, int | float) and not isinstance(value, bool)) and math.isfinite(value)
