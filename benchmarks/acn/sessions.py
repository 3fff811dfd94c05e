"""Charging sessions of the ACN-Sim event queue as plain data, and fresh event queues built from them.

The simulator charges the EV objects it is given, so every simulation needs its own queue: sessions
are read once into frozen :class:`AcnSession` records and :func:`event_queue` rebuilds new EVs.
Times are ACN-Sim periods (integers counted from the simulation start).
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from acnportal.acnsim import EV, Battery, EventQueue, PluginEvent  # type: ignore[import-untyped]

DATA_ENV_VAR = "VETTABBIA_ACN_DATA"
"""Environment variable naming the event-queue file; overrides the default location."""

DATA_FILE_NAME = "caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_PATH = REPOSITORY_ROOT.parent / "shared" / "data" / "acn" / DATA_FILE_NAME
PERIODS_PER_DAY_5MIN = 288


class SessionDataError(ValueError):
    """The event-queue file holds something the benchmark cannot replay faithfully."""


@dataclass(frozen=True, slots=True)
class AcnSession:
    """One charging session of the ACN data.

    Parameters
    ----------
    session_id, station_id
        As in ACN-Data; ``station_id`` names an EVSE of the Caltech network.
    arrival, departure, estimated_departure
        Periods from the simulation start; the EV charges in periods ``arrival .. departure - 1``.
    requested_energy_kwh
        Energy the driver asked for [kWh].
    battery_max_power_kw
        The ideal battery's charging power limit [kW].
    """

    session_id: str
    station_id: str
    arrival: int
    departure: int
    estimated_departure: int
    requested_energy_kwh: float
    battery_max_power_kw: float


def data_path() -> Path:
    """Where the event-queue file is: ``$VETTABBIA_ACN_DATA`` if set, else ``../shared/data/acn/``."""
    override = os.environ.get(DATA_ENV_VAR)
    return Path(override) if override else DEFAULT_DATA_PATH


def load_sessions(path: Path) -> tuple[AcnSession, ...]:
    """Read the sessions of a serialised ACN-Sim event queue.

    Parameters
    ----------
    path
        A gzip file holding the JSON string written by ``EventQueue.to_json`` (as a JSON string, as
        ACN-Sim's published files do, or as the registry object itself).

    Returns
    -------
    tuple of AcnSession
        Sorted by arrival, then session id.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    SessionDataError
        If an event is not a plug-in or a battery is not ACN-Sim's ideal ``Battery`` starting empty
        with its capacity equal to the request (the only battery :func:`event_queue` rebuilds).
    """
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        document = json.load(stream)
    # ACN-Sim's own files hold the registry as a JSON string inside JSON; accept a plain registry too
    if not isinstance(document, str):
        document = json.dumps(document)
    # the file is a JSON string holding the registry; acnportal warns that it was written by
    # acnportal 0.2.1 with older numpy and pandas, which does not change plain session data
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(version|dependency).*", category=UserWarning)
        queue = EventQueue.from_json(document)
    sessions = [_session_of(event) for _, event in queue._queue]
    return tuple(sorted(sessions, key=lambda s: (s.arrival, s.session_id)))


def _session_of(event: object) -> AcnSession:
    if not isinstance(event, PluginEvent):
        raise SessionDataError(f"event {event!r}: only plug-in events are supported")
    ev = event.ev
    battery = ev._battery
    where = f"session {ev.session_id}"
    if type(battery) is not Battery:
        raise SessionDataError(f"{where}: battery type {type(battery).__name__} is not the ideal Battery")
    if battery._init_charge != 0 or abs(battery._capacity - ev.requested_energy) > 1e-9:
        raise SessionDataError(f"{where}: battery must start empty with capacity equal to the request")
    if ev.departure <= ev.arrival:
        raise SessionDataError(f"{where}: departure {ev.departure} is not after arrival {ev.arrival}")
    return AcnSession(
        session_id=str(ev.session_id),
        station_id=str(ev.station_id),
        arrival=int(ev.arrival),
        departure=int(ev.departure),
        estimated_departure=int(ev.estimated_departure),
        requested_energy_kwh=float(ev.requested_energy),
        battery_max_power_kw=float(battery.max_charging_power),
    )


def sessions_in_days(
    sessions: Sequence[AcnSession], *, first_day: int, n_days: int, periods_per_day: int = PERIODS_PER_DAY_5MIN
) -> tuple[AcnSession, ...]:
    """The sessions arriving in days ``first_day .. first_day + n_days - 1``, shifted to start at 0.

    Parameters
    ----------
    sessions
        All sessions, times from the data's start (midnight of day 0).
    first_day, n_days
        Which days to keep (day 0 is the first); ``n_days`` at least 1.
    periods_per_day
        Periods in a day (288 for 5-minute periods).

    Returns
    -------
    tuple of AcnSession
        Times shifted by ``-first_day * periods_per_day``; sessions keep their full stay even when
        they leave after the last day.
    """
    if first_day < 0 or n_days < 1:
        raise ValueError(f"first_day={first_day}, n_days={n_days}: need first_day >= 0 and n_days >= 1")
    start = first_day * periods_per_day
    end = start + n_days * periods_per_day
    return tuple(
        AcnSession(
            session_id=s.session_id,
            station_id=s.station_id,
            arrival=s.arrival - start,
            departure=s.departure - start,
            estimated_departure=s.estimated_departure - start,
            requested_energy_kwh=s.requested_energy_kwh,
            battery_max_power_kw=s.battery_max_power_kw,
        )
        for s in sessions
        if start <= s.arrival < end
    )


def event_queue(sessions: Iterable[AcnSession]) -> EventQueue:
    """A new ACN-Sim event queue with fresh, uncharged EVs for the sessions."""
    events = [
        PluginEvent(
            s.arrival,
            EV(
                s.arrival,
                s.departure,
                s.requested_energy_kwh,
                s.station_id,
                s.session_id,
                Battery(s.requested_energy_kwh, 0, s.battery_max_power_kw),
                estimated_departure=s.estimated_departure,
            ),
        )
        for s in sessions
    ]
    return EventQueue(events)
