"""Installing and clearing OCPP 1.6 charging profiles on a single-connector charge point.

Pure functions over an immutable tuple of :class:`~ocpp_server.simulator.profiles.ChargingProfile`.
A profile the charger cannot apply is refused with the reason, so that SetChargingProfile can
answer Rejected rather than pretend.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, get_args

from ocpp_server.simulator.charger_spec import RateUnit, SimChargerSpec
from ocpp_server.simulator.profiles import (
    ChargingProfile,
    ProfileKind,
    ProfilePurpose,
    RecurrencyKind,
    RunningTransaction,
    SchedulePeriod,
)
from ocpp_server.simulator.timestamps import parse_ocpp_datetime

CONNECTOR_ID = 1
"""The one connector of a simulated charge point."""

_T = TypeVar("_T", bound=str)
_KINDS: dict[str, ProfileKind] = {name: name for name in get_args(ProfileKind)}
_PURPOSES: dict[str, ProfilePurpose] = {name: name for name in get_args(ProfilePurpose)}
_RECURRENCIES: dict[str, RecurrencyKind] = {name: name for name in get_args(RecurrencyKind)}
_UNITS: dict[str, RateUnit] = {name: name for name in get_args(RateUnit)}


class UnusableProfileError(ValueError):
    """A charging profile that is malformed or that this charger cannot apply."""


def _field(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise UnusableProfileError(f"{where}.{key} is missing")
    return data[key]


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float) or int(value) != value:
        raise UnusableProfileError(f"{field} must be an integer, got {value!r}")
    return int(value)


def _choice(value: Any, allowed: Mapping[str, _T], field: str) -> _T:
    if not isinstance(value, str) or value not in allowed:
        raise UnusableProfileError(f"{field} must be one of {', '.join(allowed)}, got {value!r}")
    return allowed[value]


def _optional_time(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return parse_ocpp_datetime(str(value), f"{where}.{key}")
    except ValueError as exc:
        raise UnusableProfileError(str(exc)) from exc


def _periods(schedule: Mapping[str, Any]) -> tuple[SchedulePeriod, ...]:
    raw = _field(schedule, "charging_schedule_period", "charging_schedule")
    if not isinstance(raw, list) or not raw:
        raise UnusableProfileError("charging_schedule.charging_schedule_period must be a non-empty list")
    periods = []
    for index, item in enumerate(raw):
        where = f"charging_schedule_period[{index}]"
        limit = _field(item, "limit", where)
        if isinstance(limit, bool) or not isinstance(limit, int | float | Decimal) or limit < 0:
            raise UnusableProfileError(f"{where}.limit must be a number >= 0, got {limit!r}")
        phases = item.get("number_phases")
        if phases is not None and _int(phases, f"{where}.number_phases") not in (1, 2, 3):
            raise UnusableProfileError(f"{where}.number_phases must be 1, 2 or 3, got {phases!r}")
        periods.append(
            SchedulePeriod(
                start_period_s=_int(_field(item, "start_period", where), f"{where}.start_period"),
                limit=float(limit),
                number_phases=None if phases is None else int(phases),
            )
        )
    starts = [p.start_period_s for p in periods]
    if starts[0] != 0:
        raise UnusableProfileError("the first charging_schedule_period must have start_period 0")
    if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
        raise UnusableProfileError("charging_schedule_period start_period values must increase")
    return tuple(periods)


def parse_charging_profile(data: Mapping[str, Any], *, connector_id: int, installed_at: datetime) -> ChargingProfile:
    """Read a SetChargingProfile ``csChargingProfiles`` payload (snake_case keys).

    Parameters
    ----------
    data
        The profile as the ``ocpp`` library hands it to a handler.
    connector_id
        The connectorId of the SetChargingProfile request.
    installed_at
        Reception time (UTC): the start of an Absolute schedule without ``start_schedule``.

    Raises
    ------
    UnusableProfileError
        Naming the field that is missing or wrong.
    """
    where = "cs_charging_profiles"
    schedule = _field(data, "charging_schedule", where)
    if not isinstance(schedule, Mapping):
        raise UnusableProfileError(f"{where}.charging_schedule must be an object")
    kind = _choice(_field(data, "charging_profile_kind", where), _KINDS, f"{where}.charging_profile_kind")
    recurrency_raw = data.get("recurrency_kind")
    recurrency = None if recurrency_raw is None else _choice(recurrency_raw, _RECURRENCIES, f"{where}.recurrency_kind")
    start_schedule = _optional_time(schedule, "start_schedule", "charging_schedule")
    if kind == "Recurring" and (recurrency is None or start_schedule is None):
        raise UnusableProfileError("a Recurring profile needs recurrency_kind and charging_schedule.start_schedule")
    duration = schedule.get("duration")
    if duration is not None and _int(duration, "charging_schedule.duration") < 0:
        raise UnusableProfileError(f"charging_schedule.duration must be >= 0, got {duration!r}")
    transaction_id = data.get("transaction_id")
    valid_from = _optional_time(data, "valid_from", where)
    valid_to = _optional_time(data, "valid_to", where)
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise UnusableProfileError(f"{where}.valid_to must be after valid_from")
    return ChargingProfile(
        profile_id=_int(_field(data, "charging_profile_id", where), f"{where}.charging_profile_id"),
        connector_id=connector_id,
        stack_level=_int(_field(data, "stack_level", where), f"{where}.stack_level"),
        purpose=_choice(
            _field(data, "charging_profile_purpose", where), _PURPOSES, f"{where}.charging_profile_purpose"
        ),
        kind=kind,
        rate_unit=_choice(
            _field(schedule, "charging_rate_unit", "charging_schedule"),
            _UNITS,
            "charging_schedule.charging_rate_unit",
        ),
        periods=_periods(schedule),
        installed_at=installed_at,
        duration_s=None if duration is None else int(duration),
        start_schedule=start_schedule,
        recurrency=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id=None if transaction_id is None else _int(transaction_id, f"{where}.transaction_id"),
    )


def check_installable(
    profile: ChargingProfile,
    spec: SimChargerSpec,
    installed: Sequence[ChargingProfile],
    transaction: RunningTransaction | None,
) -> None:
    """Refuse a well-formed profile that this charger cannot apply.

    Raises
    ------
    UnusableProfileError
        With the reason: wrong connector for the purpose, a TxProfile without (or for another)
        transaction, a unit the charger does not take, too many periods, a stack level out of
        range, or no room left for profiles.
    """
    if profile.connector_id not in (0, CONNECTOR_ID):
        raise UnusableProfileError(f"connector {profile.connector_id} does not exist")
    if profile.purpose == "ChargePointMaxProfile" and profile.connector_id != 0:
        raise UnusableProfileError("a ChargePointMaxProfile must be set on connector 0")
    if profile.purpose == "TxProfile":
        if profile.connector_id == 0:
            raise UnusableProfileError("a TxProfile must be set on a connector > 0")
        if transaction is None:
            raise UnusableProfileError("a TxProfile needs a running transaction on the connector")
        known_id = transaction.transaction_id
        if profile.transaction_id is not None and known_id is not None and profile.transaction_id != known_id:
            raise UnusableProfileError(f"transaction {profile.transaction_id} is not running (running: {known_id})")
    if profile.rate_unit != spec.rate_unit:
        raise UnusableProfileError(f"this charger takes schedules in {spec.rate_unit}, not {profile.rate_unit}")
    if len(profile.periods) > spec.max_schedule_periods:
        raise UnusableProfileError(f"{len(profile.periods)} periods exceed ChargingScheduleMaxPeriods")
    if not 0 <= profile.stack_level <= spec.max_stack_level:
        raise UnusableProfileError(f"stack level {profile.stack_level} is outside 0..{spec.max_stack_level}")
    if len(install_profile(installed, profile)) > spec.max_installed_profiles:
        raise UnusableProfileError("MaxChargingProfilesInstalled reached")


def install_profile(installed: Sequence[ChargingProfile], profile: ChargingProfile) -> tuple[ChargingProfile, ...]:
    """Add a profile; it replaces one with the same id, and one with the same connector, purpose
    and stack level (OCPP 1.6 3.13.2)."""
    kept = tuple(
        p
        for p in installed
        if p.profile_id != profile.profile_id
        and (p.connector_id, p.purpose, p.stack_level) != (profile.connector_id, profile.purpose, profile.stack_level)
    )
    return (*kept, profile)


def clear_profiles(
    installed: Sequence[ChargingProfile],
    *,
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: ProfilePurpose | None = None,
    stack_level: int | None = None,
) -> tuple[tuple[ChargingProfile, ...], int]:
    """Remove profiles as ClearChargingProfile asks; return the rest and how many went.

    An id selects that profile alone; otherwise every profile matching all given criteria goes,
    and no criteria at all clears everything.
    """

    def matches(p: ChargingProfile) -> bool:
        if profile_id is not None:
            return p.profile_id == profile_id
        return (
            (connector_id is None or p.connector_id == connector_id)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        )

    kept = tuple(p for p in installed if not matches(p))
    return kept, len(installed) - len(kept)


def without_tx_profiles(installed: Sequence[ChargingProfile]) -> tuple[ChargingProfile, ...]:
    """The profiles left once a transaction has ended: TxProfiles apply to one transaction only."""
    return tuple(p for p in installed if p.purpose != "TxProfile")
