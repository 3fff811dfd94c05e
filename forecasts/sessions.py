"""The history of charging sessions the vehicle forecasts learn from: its columns and checks.

A session runs from the moment a vehicle plugs in (``arrived_at``) to the moment it leaves
(``departed_at``). The frame has one row per session and at least these columns:

========================  ==========================================================================
``vehicle_id``            str, the vehicle (or, where vehicles are anonymous, the session itself)
``vehicle_class``         str, e.g. ``"car"`` or ``"van"``
``arrived_at``            timezone-aware timestamp of the plug-in
``departed_at``           timezone-aware timestamp of the departure; NaT while still plugged in
``energy_kwh``            float >= 0, energy delivered in the session [kWh]
========================  ==========================================================================

Other columns are kept and ignored.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from forecasts.errors import ForecastInputError

SESSION_COLUMNS = ("vehicle_id", "vehicle_class", "arrived_at", "departed_at", "energy_kwh")


def check_now(now: datetime, field_name: str = "now") -> pd.Timestamp:
    """An instant as a UTC timestamp; raises ForecastInputError naming ``field_name`` when it is naive."""
    if not isinstance(now, datetime):
        raise ForecastInputError(f"{field_name}: must be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ForecastInputError(f"{field_name}: must be timezone-aware, got naive {now.isoformat()}")
    return pd.Timestamp(now).tz_convert("UTC").as_unit("ns")


def _utc_column(frame: pd.DataFrame, column: str, *, allow_missing: bool) -> pd.Series:
    values = frame[column]
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ForecastInputError(f"{column}: must be timezone-aware timestamps, got dtype {values.dtype}")
    values = pd.Series(values.dt.tz_convert("UTC").dt.as_unit("ns"))
    if not allow_missing and values.isna().any():
        raise ForecastInputError(f"{column}: has missing timestamps (row {int(np.flatnonzero(values.isna())[0])})")
    return values


def check_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """A checked copy of a session history with UTC timestamps, sorted by arrival.

    Parameters
    ----------
    sessions
        The history, columns as in the module docstring; may be empty.

    Returns
    -------
    pandas.DataFrame
        The same rows with ``arrived_at`` / ``departed_at`` in UTC (nanoseconds), ``energy_kwh`` as
        float, ``vehicle_id`` / ``vehicle_class`` as str, sorted by ``arrived_at``, index reset.

    Raises
    ------
    ForecastInputError
        (a ValueError) naming the column: missing columns, naive or missing arrival timestamps, a
        departure before its arrival, negative or non-finite energy, empty ids or classes.
    """
    if not isinstance(sessions, pd.DataFrame):
        raise ForecastInputError(f"history_sessions: must be a pandas DataFrame, got {type(sessions).__name__}")
    missing = [column for column in SESSION_COLUMNS if column not in sessions.columns]
    if missing:
        raise ForecastInputError(f"history_sessions: missing columns {missing}")
    frame = sessions.copy()
    frame["arrived_at"] = _utc_column(frame, "arrived_at", allow_missing=False)
    frame["departed_at"] = _utc_column(frame, "departed_at", allow_missing=True)
    backwards = frame["departed_at"] < frame["arrived_at"]
    if backwards.any():
        row = int(np.flatnonzero(backwards.to_numpy())[0])
        raise ForecastInputError(f"departed_at: before arrived_at in row {row}")
    energy = pd.to_numeric(frame["energy_kwh"], errors="coerce").astype(np.float64)
    bad_energy = ~np.isfinite(energy.to_numpy()) | (energy.to_numpy() < 0)
    if bad_energy.any():
        row = int(np.flatnonzero(bad_energy)[0])
        raise ForecastInputError(
            f"energy_kwh: must be finite and >= 0, row {row} has {frame['energy_kwh'].iloc[row]!r}"
        )
    frame["energy_kwh"] = energy
    for column in ("vehicle_id", "vehicle_class"):
        text = frame[column].astype(str)
        empty = frame[column].isna() | (text.str.strip() == "")
        if empty.any():
            raise ForecastInputError(f"{column}: empty in row {int(np.flatnonzero(empty.to_numpy())[0])}")
        frame[column] = text
    return frame.sort_values("arrived_at", kind="stable").reset_index(drop=True)


def known_at(sessions: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """What the history said at ``now``: sessions arrived before it, later departures not yet known.

    Parameters
    ----------
    sessions
        A checked history (see :func:`check_sessions`).
    now
        The instant (UTC).

    Returns
    -------
    pandas.DataFrame
        Rows with ``arrived_at < now``; ``departed_at`` is NaT where it was after ``now``.
    """
    seen = sessions.loc[sessions["arrived_at"] < now].copy()
    seen.loc[seen["departed_at"] > now, "departed_at"] = pd.NaT
    return seen
