"""Expected arrivals for the ACN controller, learnt from the sessions it has already seen.

The controller sees every session while it is plugged in. Today's arrivals still to come are
forecast as those of the last few days of the same kind (weekday or weekend) at the same time of
day: each past session becomes an expected vehicle on its own EVSE, with its stay, and with its
request shared out over the days drawn from (one over their number). Only days already over are used, so
the forecast never looks ahead of the simulation.

:class:`KnownArrivals` is the yardstick for that forecast: today's arrivals as they will happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from acnportal.acnsim.interface import SessionInfo  # type: ignore[import-untyped]

from benchmarks.acn.sessions import AcnSession

VOLTAGE_V = 208.0
"""The Caltech network's line-to-line voltage: a battery's kW limit as a pilot in A."""
PICKUP_RANGE = (0.5, 2.0)
"""How far a day busier or quieter than its kind may scale the expected sessions' shares."""


@dataclass(frozen=True, slots=True)
class SeenSession:
    """A session as the controller first saw it."""

    session_id: str
    station_id: str
    arrival: int
    """Period it plugged in (periods from the simulation start)."""
    stay_periods: int
    """Estimated departure minus arrival [periods], at least 1."""
    requested_kwh: float
    max_rate_a: float


@dataclass(frozen=True, slots=True)
class ExpectedSession:
    """A session expected to plug in later today."""

    key: str
    station_id: str
    arrival: int
    """Period it is expected to plug in (periods from the simulation start)."""
    stay_periods: int
    requested_kwh: float
    max_rate_a: float
    share: float
    """The share of one session this stands for: one over the days the forecast was drawn from
    (scaled by how busy today has been, when :meth:`ArrivalHistory.expected` is asked to). The
    plan asks for that share of its request."""


@dataclass(slots=True)
class ArrivalHistory:
    """Sessions seen so far, by day, and the kind of each day.

    Parameters
    ----------
    periods_per_day
        Periods in a day (288 for 5-minute periods).
    """

    periods_per_day: int
    _seen_ids: set[str] = field(default_factory=set)
    _by_arrival_day: dict[int, list[SeenSession]] = field(default_factory=dict)
    _weekend: dict[int, bool] = field(default_factory=dict)

    def record(self, sessions: Iterable[SessionInfo], *, day: int, weekend: bool) -> None:
        """Note the kind of ``day`` and every session not seen before."""
        self._weekend[day] = weekend
        for session in sessions:
            key = str(session.session_id)
            if key in self._seen_ids:
                continue
            self._seen_ids.add(key)
            max_rates = session.max_rates
            arrival = int(session.arrival)
            self._by_arrival_day.setdefault(arrival // self.periods_per_day, []).append(
                SeenSession(
                    session_id=key,
                    station_id=str(session.station_id),
                    arrival=arrival,
                    stay_periods=max(int(session.estimated_departure) - arrival, 1),
                    requested_kwh=float(session.requested_energy),
                    max_rate_a=float(max_rates[0]) if len(max_rates) else float("inf"),
                )
            )

    def expected(
        self, now: int, *, days: int, within_periods: int, pickup_sessions: float = 0.0
    ) -> tuple[ExpectedSession, ...]:
        """Sessions expected to plug in after ``now`` and within ``within_periods``, still today.

        Parameters
        ----------
        now
            The current period.
        days
            Past days of today's kind to draw from (the most recent ones that are over).
        within_periods
            How far ahead to look [periods].
        pickup_sessions
            When positive, scale the shares by how busy today has been so far against those days
            by the same time: ``(today + k) / (their mean + k)`` with ``k`` this many sessions
            (so that the first arrivals of a day move it little), within
            ``PICKUP_RANGE``. 0 leaves the shares at one over the days.

        Returns
        -------
        tuple of ExpectedSession
            Each past session of those days that plugged in at a time of day in ``(now, now +
            within_periods]`` (not past midnight), moved to today; empty when no past day of
            today's kind has been seen or ``days`` is 0.
        """
        if days <= 0:
            return ()
        today = now // self.periods_per_day
        weekend = self._weekend.get(today)
        if weekend is None:
            return ()
        past = sorted((d for d, kind in self._weekend.items() if d < today and kind == weekend), reverse=True)[:days]
        if not past:
            return ()
        time_of_day = now - today * self.periods_per_day
        share = 1.0 / len(past)
        if pickup_sessions > 0:
            share *= self._pickup(today, past, time_of_day, pickup_sessions)
        last = min(time_of_day + within_periods, self.periods_per_day - 1)
        expected = [
            ExpectedSession(
                key=f"expected-{day}-{seen.session_id}",
                station_id=seen.station_id,
                arrival=today * self.periods_per_day + at,
                stay_periods=seen.stay_periods,
                requested_kwh=seen.requested_kwh,
                max_rate_a=seen.max_rate_a,
                share=share,
            )
            for day in past
            for seen in self._by_arrival_day.get(day, ())
            if time_of_day < (at := seen.arrival - day * self.periods_per_day) <= last
        ]
        return tuple(sorted(expected, key=lambda e: (e.arrival, e.key)))

    def _pickup(self, today: int, past: Sequence[int], time_of_day: int, k: float) -> float:
        """Today's arrivals up to ``time_of_day`` against the mean of ``past`` days' by then, smoothed."""

        def so_far(day: int) -> int:
            start = day * self.periods_per_day
            return sum(1 for seen in self._by_arrival_day.get(day, ()) if seen.arrival - start <= time_of_day)

        ratio = (so_far(today) + k) / (sum(so_far(day) for day in past) / len(past) + k)
        return min(max(ratio, PICKUP_RANGE[0]), PICKUP_RANGE[1])


@dataclass(frozen=True, slots=True)
class KnownArrivals:
    """Perfect knowledge of today's arrivals: what the forecast would give if it were exact.

    Not a controller anyone could run; it measures how much of the gap to the offline optimum is
    the arrivals the controller cannot know.

    Parameters
    ----------
    sessions
        Every session of the simulation, as the event queue holds them.
    periods_per_day
        Periods in a day (288 for 5-minute periods).
    """

    sessions: Sequence[AcnSession]
    periods_per_day: int

    def expected(self, now: int, *, within_periods: int) -> tuple[ExpectedSession, ...]:
        """The sessions that will plug in after ``now``, within ``within_periods`` and still today,
        each as it will come: EVSE, arrival, estimated stay, request, its battery's limit."""
        last = min(now + within_periods, (now // self.periods_per_day + 1) * self.periods_per_day - 1)
        expected = [
            ExpectedSession(
                key=f"known-{s.session_id}",
                station_id=s.station_id,
                arrival=s.arrival,
                stay_periods=max(s.estimated_departure - s.arrival, 1),
                requested_kwh=s.requested_energy_kwh,
                max_rate_a=s.battery_max_power_kw * 1000.0 / VOLTAGE_V,
                share=1.0,
            )
            for s in self.sessions
            if now < s.arrival <= last
        ]
        return tuple(sorted(expected, key=lambda e: (e.arrival, e.key)))
