"""OCPP 1.6 smart charging: the limit a single-connector charge point applies at a given time.

Pure functions of (installed profiles, running transaction, time). The rules, from OCPP 1.6
section 3.13 (Smart Charging):

* A profile applies at ``t`` when ``valid_from <= t < valid_to`` and its schedule covers ``t``:
  the schedule starts at ``start_schedule`` (Absolute; the moment of installation when absent),
  at the start of the transaction (Relative), or at the latest daily / weekly recurrence of
  ``start_schedule`` (Recurring). A schedule with a ``duration`` stops covering once it has run
  that long, and the next profile down the stack takes over; without one its last period lasts.
* Per purpose, the applicable profile with the highest stack level wins.
* A TxProfile overrides the TxDefaultProfile, for the running transaction only. TxDefaultProfiles
  on connector 1 and on connector 0 (all connectors) compete by stack level; at equal stack level
  the connector-specific one wins, which is how "replaces the default for that connector" reads
  when both are kept.
* The result is capped by the ChargePointMaxProfile and by the hardware maximum.
* Amps are per phase: kW = A * voltage_v * phases / 1000, with the period's ``number_phases`` when
  given. On an AC charger a positive limit below ``min_current_a`` stops charging (IEC 61851), so
  it counts as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ocpp_server.simulator.charger_spec import RateUnit, SimChargerSpec

ProfilePurpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
ProfileKind = Literal["Absolute", "Recurring", "Relative"]
RecurrencyKind = Literal["Daily", "Weekly"]

_RECURRENCE_S: dict[RecurrencyKind, int] = {"Daily": 86_400, "Weekly": 7 * 86_400}


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    start_period_s: int
    """Seconds after the start of the schedule."""
    limit: float
    """In the schedule's rate unit (A per phase or W)."""
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    """An installed OCPP 1.6 charging profile (already validated, see ``profile_store``)."""

    profile_id: int
    connector_id: int
    stack_level: int
    purpose: ProfilePurpose
    kind: ProfileKind
    rate_unit: RateUnit
    periods: tuple[SchedulePeriod, ...]
    """Sorted by ``start_period_s``; the first starts at 0."""
    installed_at: datetime
    duration_s: int | None = None
    start_schedule: datetime | None = None
    recurrency: RecurrencyKind | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        if not self.periods or self.periods[0].start_period_s != 0:
            raise ValueError(f"profile {self.profile_id}: the first period must start at 0")
        starts = [p.start_period_s for p in self.periods]
        if starts != sorted(set(starts)):
            raise ValueError(f"profile {self.profile_id}: period starts must increase")
        if self.kind == "Recurring":
            _recurrence(self)


def _recurrence(profile: ChargingProfile) -> tuple[datetime, int]:
    """First start and period [s] of a Recurring profile."""
    if profile.start_schedule is None or profile.recurrency is None:
        raise ValueError(f"Recurring profile {profile.profile_id} needs start_schedule and recurrency")
    return profile.start_schedule, _RECURRENCE_S[profile.recurrency]


@dataclass(frozen=True, slots=True)
class RunningTransaction:
    transaction_id: int | None
    """None until the central system has answered StartTransaction."""
    started_at: datetime


def _schedule_start(profile: ChargingProfile, relative_start: datetime, t: datetime) -> datetime | None:
    """Start of the schedule instance in force at ``t``, or None if none has started."""
    if profile.kind == "Relative":
        return relative_start
    if profile.kind == "Absolute":
        return profile.start_schedule or profile.installed_at
    first_start, period_s = _recurrence(profile)
    if t < first_start:
        return None
    cycles = math.floor((t - first_start).total_seconds() / period_s)
    return first_start + timedelta(seconds=cycles * period_s)


def _period_at(profile: ChargingProfile, relative_start: datetime, t: datetime) -> SchedulePeriod | None:
    """The schedule period covering ``t``, or None if the profile does not apply at ``t``."""
    if profile.valid_from is not None and t < profile.valid_from:
        return None
    if profile.valid_to is not None and t >= profile.valid_to:
        return None
    start = _schedule_start(profile, relative_start, t)
    if start is None:
        return None
    offset_s = (t - start).total_seconds()
    if offset_s < 0 or (profile.duration_s is not None and offset_s >= profile.duration_s):
        return None
    current: SchedulePeriod | None = None
    for period in profile.periods:
        if period.start_period_s > offset_s:
            break
        current = period
    return current


def limit_to_kw(spec: SimChargerSpec, limit: float, rate_unit: RateUnit, number_phases: int | None) -> float:
    """Convert a schedule limit to kW for this charger, applying the AC minimum current.

    Parameters
    ----------
    spec
        The charger (voltage, phases, minimum current, kind).
    limit
        Limit in ``rate_unit``: A per phase, or W.
    rate_unit
        ``"A"`` or ``"W"``.
    number_phases
        Phases the limit is meant for; None means all phases of the charger.

    Returns
    -------
    float
        The limit [kW]; 0 when an AC charger would have to signal less than ``min_current_a``.
    """
    kw_per_amp = spec.kw_per_amp(number_phases)
    power_kw = limit * kw_per_amp if rate_unit == "A" else limit / 1000
    if spec.kind == "AC" and 0 < power_kw < spec.min_current_a * kw_per_amp:
        return 0.0
    return max(power_kw, 0.0)


def _top_of_stack_kw(
    candidates: Iterable[ChargingProfile],
    spec: SimChargerSpec,
    relative_start: datetime,
    t: datetime,
) -> float | None:
    """Limit [kW] of the highest applicable profile (connector-specific first at equal level)."""
    ranked = sorted(candidates, key=lambda p: (p.stack_level, p.connector_id), reverse=True)
    for profile in ranked:
        period = _period_at(profile, relative_start, t)
        if period is not None:
            return limit_to_kw(spec, period.limit, profile.rate_unit, period.number_phases)
    return None


def _tx_profile_applies(profile: ChargingProfile, transaction: RunningTransaction | None) -> bool:
    if profile.purpose != "TxProfile" or transaction is None:
        return False
    if profile.transaction_id is None or transaction.transaction_id is None:
        return True
    return profile.transaction_id == transaction.transaction_id


def _limit_at(
    profiles: Sequence[ChargingProfile],
    spec: SimChargerSpec,
    connector_id: int,
    transaction: RunningTransaction | None,
    relative_start: datetime,
    t: datetime,
) -> float:
    cp_max_kw = _top_of_stack_kw((p for p in profiles if p.purpose == "ChargePointMaxProfile"), spec, relative_start, t)
    limits_kw = [spec.max_power_kw] if cp_max_kw is None else [spec.max_power_kw, cp_max_kw]
    if connector_id == 0:
        return min(limits_kw)
    tx_kw = _top_of_stack_kw(
        (p for p in profiles if p.connector_id == connector_id and _tx_profile_applies(p, transaction)),
        spec,
        relative_start,
        t,
    )
    if tx_kw is None:
        tx_kw = _top_of_stack_kw(
            (p for p in profiles if p.purpose == "TxDefaultProfile" and p.connector_id in (0, connector_id)),
            spec,
            relative_start,
            t,
        )
    if tx_kw is not None:
        limits_kw.append(tx_kw)
    return min(limits_kw)


def effective_limit_kw(
    profiles: Sequence[ChargingProfile],
    spec: SimChargerSpec,
    *,
    connector_id: int,
    transaction: RunningTransaction | None,
    now: datetime,
) -> float:
    """The power limit a connector applies at ``now`` under OCPP 1.6 composite rules.

    Parameters
    ----------
    profiles
        Every profile installed on the charge point.
    spec
        The charger (hardware maximum, unit conversion).
    connector_id
        1 for the connector; 0 for the charge point as a whole (ChargePointMaxProfile and hardware).
    transaction
        The transaction running on the connector, if any. Without one, Relative schedules are
        evaluated as if a transaction started at ``now``.
    now
        The time to evaluate at (UTC).

    Returns
    -------
    float
        The limit [kW], between 0 and ``spec.max_power_kw``.
    """
    relative_start = transaction.started_at if transaction is not None else now
    return _limit_at(profiles, spec, connector_id, transaction, relative_start, now)


def _breakpoints(profile: ChargingProfile, relative_start: datetime, start: datetime, end: datetime) -> set[datetime]:
    """Every time in (start, end) at which this profile may start, stop or change its limit."""
    points = {t for t in (profile.valid_from, profile.valid_to) if t is not None}
    if profile.kind == "Relative":
        instance_starts = [relative_start]
    elif profile.kind == "Absolute":
        instance_starts = [profile.start_schedule or profile.installed_at]
    else:
        first_start, period_s = _recurrence(profile)
        period = timedelta(seconds=period_s)
        first = _schedule_start(profile, relative_start, start) or first_start
        instance_starts = []
        while first < end:
            instance_starts.append(first)
            first += period
    for instance_start in instance_starts:
        points.add(instance_start)
        points.update(instance_start + timedelta(seconds=p.start_period_s) for p in profile.periods)
        if profile.duration_s is not None:
            points.add(instance_start + timedelta(seconds=profile.duration_s))
    return {t for t in points if start < t < end}


def composite_schedule(
    profiles: Sequence[ChargingProfile],
    spec: SimChargerSpec,
    *,
    connector_id: int,
    transaction: RunningTransaction | None,
    start: datetime,
    duration_s: int,
) -> tuple[tuple[int, float], ...]:
    """The limit over a time window, as OCPP GetCompositeSchedule reports it.

    Parameters
    ----------
    profiles, spec, connector_id, transaction
        As for :func:`effective_limit_kw`; without a transaction, Relative schedules start at ``start``.
    start
        Start of the window (UTC).
    duration_s
        Length of the window [s], >= 1.

    Returns
    -------
    tuple of (offset_s, limit_kw)
        Periods in order, the first at offset 0 [s]; consecutive periods have different limits [kW].
    """
    if duration_s < 1:
        raise ValueError(f"duration_s must be >= 1, got {duration_s}")
    end = start + timedelta(seconds=duration_s)
    relative_start = transaction.started_at if transaction is not None else start
    times = {start}
    for profile in profiles:
        times |= _breakpoints(profile, relative_start, start, end)
    # A change inside a second is reported from the next whole second, when it is in force.
    offsets_s = sorted({math.ceil((t - start).total_seconds()) for t in times} - {duration_s})
    periods: list[tuple[int, float]] = []
    for offset_s in offsets_s:
        at = start + timedelta(seconds=offset_s)
        limit_kw = _limit_at(profiles, spec, connector_id, transaction, relative_start, at)
        if not periods or periods[-1][1] != limit_kw:
            periods.append((offset_s, limit_kw))
    return tuple(periods)
