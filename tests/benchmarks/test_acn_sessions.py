"""Sessions read from ACN-Sim event queues, and fresh queues built from them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.acn.network import caltech_network
from benchmarks.acn.sessions import (
    DATA_ENV_VAR,
    DEFAULT_DATA_PATH,
    data_path,
    event_queue,
    load_sessions,
    sessions_in_days,
)
from tests.benchmarks.acn_factories import session

SESSIONS = (
    session("late", "CA-308", arrival=300, departure=400, energy_kwh=7.5),
    session("early", "CA-307", arrival=10, departure=40, energy_kwh=2.25, max_kw=3.3),
)


def write_queue(path: Path, *, as_string: bool) -> None:
    registry = event_queue(SESSIONS).to_json()
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(json.dumps(registry) if as_string else registry)


@pytest.mark.parametrize("as_string", [True, False])
def test_sessions_survive_a_round_trip_through_acnsim_json(tmp_path: Path, as_string: bool) -> None:
    path = tmp_path / "queue.json.gz"
    write_queue(path, as_string=as_string)

    loaded = load_sessions(path)

    assert loaded == tuple(sorted(SESSIONS, key=lambda s: s.arrival))


def test_event_queue_gives_fresh_uncharged_evs_each_time() -> None:
    first = event_queue(SESSIONS)
    second = event_queue(SESSIONS)
    ev_first = next(event.ev for _, event in first._queue if event.ev.session_id == "early")
    ev_second = next(event.ev for _, event in second._queue if event.ev.session_id == "early")

    assert ev_first is not ev_second
    assert ev_first.energy_delivered == 0
    assert ev_first.requested_energy == 2.25
    assert ev_first.maximum_charging_power == 3.3


def test_sessions_in_days_keeps_arrivals_in_the_window_and_shifts_them() -> None:
    kept = sessions_in_days(SESSIONS, first_day=1, n_days=1)

    assert [s.session_id for s in kept] == ["late"]
    assert (kept[0].arrival, kept[0].departure, kept[0].estimated_departure) == (12, 112, 112)


def test_sessions_in_days_rejects_an_empty_window() -> None:
    with pytest.raises(ValueError, match="n_days"):
        sessions_in_days(SESSIONS, first_day=0, n_days=0)


def test_data_path_defaults_next_to_the_repository_and_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    assert data_path() == DEFAULT_DATA_PATH
    assert DEFAULT_DATA_PATH.parts[-4:-1] == ("shared", "data", "acn")

    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "other.json.gz"))
    assert data_path() == tmp_path / "other.json.gz"


def test_the_march_2019_caltech_sessions() -> None:
    path = data_path()
    if not path.exists():
        pytest.skip(f"ACN data not available at {path}")

    sessions = load_sessions(path)

    assert len(sessions) == 954
    assert sum(s.requested_energy_kwh for s in sessions) == pytest.approx(8900.52, abs=0.01)
    assert {s.battery_max_power_kw for s in sessions} == {6.6}
    assert {s.station_id for s in sessions} <= set(caltech_network(150.0).station_ids)
    assert all(s.estimated_departure == s.departure > s.arrival for s in sessions)
