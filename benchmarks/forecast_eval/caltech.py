"""Read the Caltech ACN sessions (an ACN-Sim event queue, gzip JSON) as a session history.

The file is the JSON string that ``acnportal.acnsim.EventQueue.to_json`` writes: a registry of
objects whose ``EV`` entries carry ``_arrival`` and ``_departure`` as 5-minute period indices counted
in elapsed time from the start in the file name (local time of the site, America/Los_Angeles),
``_requested_energy`` (the energy the session delivered, kWh), ``_session_id`` and ``_station_id``.
Plain ``json`` reads it; the data stay outside the repository (BSD-3-Clause, Caltech).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pandas as pd

DATA_ENV_VAR = "VETTABBIA_ACN_DATA"
"""Environment variable naming the event-queue file; overrides the default location."""

DATA_FILE_NAME = "caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz"
DEFAULT_DATA_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "acn" / DATA_FILE_NAME
CALTECH_TIMEZONE = "America/Los_Angeles"
_NAME_PATTERN = re.compile(r"_(?P<start>\d{8}T\d{6})_(?P<end>\d{8}T\d{6})_(?P<period>\d+)m_")


def caltech_data_path() -> Path:
    """Where the event-queue file is: ``$VETTABBIA_ACN_DATA`` if set, else ``../shared/data/acn/``."""
    override = os.environ.get(DATA_ENV_VAR)
    return Path(override) if override else DEFAULT_DATA_PATH


def read_caltech_sessions(path: Path) -> pd.DataFrame:
    """Sessions of an ACN-Sim event-queue file in the history format of :mod:`forecasts.sessions`.

    Parameters
    ----------
    path
        The ``.json.gz`` file; its name gives the start (local time) and the period length.

    Returns
    -------
    pandas.DataFrame
        One row per EV, sorted by arrival: ``vehicle_id`` (the session id: the data are anonymous),
        ``vehicle_class`` ``"car"``, ``arrived_at`` / ``departed_at`` (UTC), ``energy_kwh``,
        ``station_id``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file name does not state the start and period, or the file holds no EV.
    """
    match = _NAME_PATTERN.search(path.name)
    if match is None:
        raise ValueError(f"{path.name}: the name must hold _<start>_<end>_<period>m_ like the ACN-Sim exports")
    start = pd.Timestamp(match["start"]).tz_localize(CALTECH_TIMEZONE).tz_convert("UTC")
    period = pd.Timedelta(minutes=int(match["period"]))
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        document = json.load(stream)
    if isinstance(document, str):
        document = json.loads(document)
    evs = [entry["attributes"] for entry in document["context_dict"].values() if entry["class"].endswith(".ev.EV")]
    if not evs:
        raise ValueError(f"{path.name}: holds no EV")
    frame = pd.DataFrame(
        {
            "vehicle_id": [str(ev["_session_id"]) for ev in evs],
            "vehicle_class": "car",
            "arrived_at": [start + int(ev["_arrival"]) * period for ev in evs],
            "departed_at": [start + int(ev["_departure"]) * period for ev in evs],
            "energy_kwh": [float(ev["_requested_energy"]) for ev in evs],
            "station_id": [str(ev["_station_id"]) for ev in evs],
        }
    )
    return frame.sort_values(["arrived_at", "vehicle_id"]).reset_index(drop=True)
