"""The offline optimum: the planning model with every session of the data known in advance.

No constraint links two moments except a session's own energy, so sessions that never share a
period with each other, directly or through a chain of overlapping sessions, are independent: the
month splits exactly into such groups (gaps with no car plugged in), and each group is one LP in
5-minute slots with continuous currents. With ``outer=True`` the three-phase limits are loosened
just enough for the optimiser's polygon to contain the true circle
(:func:`~benchmarks.acn.network.circumscribed`), so the optimum bounds from above what any schedule
within the true limits can deliver; with ``outer=False`` it is the planning model itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from benchmarks.acn.network import NetworkModel, circumscribed, phasor_limits
from benchmarks.acn.sessions import AcnSession
from optimizer import ChargingProblem, Schedule, VehicleRequest, solve

MET_THRESHOLD_KWH = 0.1
"""A session whose unmet energy is below this [kWh] counts as met (ACN-Sim's default)."""

OFFLINE_PRICE_PER_KWH = 0.10
OFFLINE_UNMET_PENALTY_PER_KWH = 2.0


@dataclass(frozen=True, slots=True)
class OfflineResult:
    """The offline optimum over a set of sessions."""

    outer: bool
    facets: int
    requested_kwh: float
    delivered_kwh: float
    sessions: int
    sessions_met: int
    groups: int
    statuses: tuple[str, ...]
    """Each group's SolveStatus."""
    solve_time_s: float


def independent_groups(sessions: Sequence[AcnSession]) -> tuple[tuple[AcnSession, ...], ...]:
    """Split sessions into groups whose stays (chained by overlaps) never share a period.

    Parameters
    ----------
    sessions
        Any order.

    Returns
    -------
    tuple of tuple of AcnSession
        In order of time; each group sorted by arrival.
    """
    groups: list[list[AcnSession]] = []
    end = None
    for session in sorted(sessions, key=lambda s: (s.arrival, s.session_id)):
        if end is None or session.arrival >= end:
            groups.append([])
            end = session.departure
        groups[-1].append(session)
        end = max(end, session.departure)
    return tuple(tuple(group) for group in groups)


def offline_problem(
    group: Sequence[AcnSession],
    model: NetworkModel,
    *,
    facets: int,
    outer: bool,
    start_utc: datetime,
    period_h: float,
) -> ChargingProblem:
    """One group of sessions as a single LP from the first arrival to the last departure.

    Parameters
    ----------
    group
        Sessions, at least one; each needs a station of the network.
    model
        The network.
    facets
        Sides of the polygon of each three-phase limit.
    outer
        Loosen the three-phase limits into an outer approximation (an upper bound).
    start_utc
        When period 0 starts.
    period_h
        Length of a period and of a slot [h].

    Returns
    -------
    ChargingProblem
        Every session a vehicle on its own connector key ``"{station}#{session}"`` (a station
        serves several sessions in turn), plugged in over its periods, at most the lower of the
        EVSE's and the battery's power, wanting its whole request.
    """
    if not group:
        raise ValueError("group: needs at least one session")
    first = min(s.arrival for s in group)
    n_slots = max(s.departure for s in group) - first
    keys: dict[str, list[str]] = {}
    vehicles = []
    for s in group:
        if s.station_id not in model.station_ids:
            raise ValueError(f"session {s.session_id}: station {s.station_id} is not in the network")
        station = model.station_ids.index(s.station_id)
        key = f"{s.station_id}#{s.session_id}"
        keys.setdefault(s.station_id, []).append(key)
        evse_kw = model.max_pilot_a[station] * model.kw_per_a(station)
        vehicles.append(
            VehicleRequest(
                vehicle_id=s.session_id,
                connector_key=key,
                max_power_kw=min(evse_kw, s.battery_max_power_kw),
                energy_needed_kwh=s.requested_energy_kwh,
                available_h=tuple(period_h if s.arrival <= first + t < s.departure else 0.0 for t in range(n_slots)),
                efficiency=1.0,
            )
        )
    limits = phasor_limits(model, facets=facets, connector_keys=keys)
    if outer:
        limits = tuple(circumscribed(limit) for limit in limits)
    zeros = (0.0,) * n_slots
    unreachable_kw = sum(v.max_power_kw for v in vehicles) + 1.0
    return ChargingProblem(
        slot_starts_utc=tuple(start_utc + timedelta(hours=period_h * (first + t)) for t in range(n_slots)),
        slot_duration_h=(period_h,) * n_slots,
        grid_import_limit_kw=(unreachable_kw,) * n_slots,
        base_load_kw=zeros,
        pv_kw=zeros,
        pv_firm_kw=zeros,
        import_price_eur_per_kwh=(OFFLINE_PRICE_PER_KWH,) * n_slots,
        export_price_eur_per_kwh=zeros,
        vehicles=tuple(vehicles),
        unmet_energy_penalty_eur_per_kwh=OFFLINE_UNMET_PENALTY_PER_KWH,
        phasor_limits=limits,
    )


def offline_optimum(
    sessions: Sequence[AcnSession],
    model: NetworkModel,
    *,
    facets: int,
    outer: bool,
    period_h: float,
    start_utc: datetime | None = None,
    time_limit_s: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> OfflineResult:
    """Solve every independent group of sessions with perfect knowledge.

    Parameters
    ----------
    sessions
        All sessions of the run.
    model
        The network (with its transformer capacity).
    facets, outer
        Polygon sides, and whether to loosen the limits into an upper bound (module docstring).
    period_h
        Length of a period [h].
    start_utc
        When period 0 starts (slot labels only).
    time_limit_s
        HiGHS time limit per group [s].
    progress
        Called with a short line after each group.

    Returns
    -------
    OfflineResult
        Energy delivered by the optimal plans and sessions met within 0.1 kWh.
    """
    started_s = time.perf_counter()
    origin = start_utc or datetime(2019, 3, 1, 8, tzinfo=UTC)
    delivered_kwh = 0.0
    met = 0
    statuses: list[str] = []
    groups = independent_groups(sessions)
    for number, group in enumerate(groups, start=1):
        problem = offline_problem(group, model, facets=facets, outer=outer, start_utc=origin, period_h=period_h)
        schedule: Schedule = solve(problem, time_limit_s=time_limit_s)
        statuses.append(str(schedule.status))
        for plan in schedule.plans:
            delivered_kwh += plan.planned_energy_kwh
            met += plan.unmet_energy_kwh < MET_THRESHOLD_KWH
        if progress is not None:
            progress(f"offline group {number}/{len(groups)}: {len(group)} sessions, {schedule.status}")
    return OfflineResult(
        outer=outer,
        facets=facets,
        requested_kwh=sum(s.requested_energy_kwh for s in sessions),
        delivered_kwh=delivered_kwh,
        sessions=len(sessions),
        sessions_met=met,
        groups=len(groups),
        statuses=tuple(statuses),
        solve_time_s=time.perf_counter() - started_s,
    )
