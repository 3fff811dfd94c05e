"""POST /site/measurements: a site gateway's meter readings reach the page, the history and the forecasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fleet.runtime import Runtime
from fleet.site_forecast import forecast_site
from fleet.site_history import HistoryCache

URL = "/api/v1/site/measurements"


def _at(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


async def test_a_reading_is_what_the_site_shows_and_stores(runtime: Runtime, api: httpx.AsyncClient) -> None:
    answer = await api.post(URL, json={"readings": [{"measured_at": _at(0.5), "pv_kw": 12.5, "base_load_kw": 71.0}]})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1}
    site = (await api.get("/api/v1/site")).json()
    assert site["pv_kw"] == 12.5
    assert site["base_load_kw"] == 71.0
    assert site["grid_import_kw"] == pytest.approx(71.0 - 12.5)
    (sample,) = await runtime.store.site_samples(datetime.now(UTC) - timedelta(minutes=5))
    assert sample.grid_import_kw == pytest.approx(58.5)  # what the capacity charge is billed on
    series = (await api.get("/api/v1/site/timeseries")).json()["measured"]
    assert series["pv_kw"] == [12.5]


async def test_one_flow_alone_is_kept_without_an_import(runtime: Runtime, api: httpx.AsyncClient) -> None:
    answer = await api.post(URL, json={"readings": [{"measured_at": _at(1), "base_load_kw": 64.0}]})

    assert answer.status_code == 200, answer.text
    (sample,) = await runtime.store.site_samples(datetime.now(UTC) - timedelta(minutes=5))
    assert (sample.base_load_kw, sample.pv_kw, sample.grid_import_kw) == (64.0, None, None)
    site = (await api.get("/api/v1/site")).json()
    assert site["base_load_kw"] == 64.0


async def test_a_gateway_sending_the_same_reading_twice_stores_it_once(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    body = {"readings": [{"measured_at": _at(2), "pv_kw": 30.0, "base_load_kw": 80.0}]}
    assert (await api.post(URL, json=body)).status_code == 200
    assert (await api.post(URL, json=body)).status_code == 200

    assert len(await runtime.store.site_samples(datetime.now(UTC) - timedelta(minutes=5))) == 1


async def test_the_forecasts_start_from_the_readings(runtime: Runtime, api: httpx.AsyncClient) -> None:
    readings = [{"measured_at": _at(4.5 - k), "pv_kw": 0.0, "base_load_kw": 150.0} for k in range(5)]
    assert (await api.post(URL, json={"readings": readings})).status_code == 200

    history = await HistoryCache(runtime.site, runtime.store, runtime.clock).get()
    now = runtime.clock.now()
    assert history.latest_base_load_kw(now) == 150.0
    with_readings = forecast_site(runtime.site, now, 24.0, history)
    priors = forecast_site(runtime.site, now, 24.0)
    assert with_readings.base_load_kw[0] > priors.base_load_kw[0] + 10.0  # the profile peaks at 120 kW
    assert with_readings.base_load_kw[-1] == pytest.approx(priors.base_load_kw[-1], abs=1.0)


@pytest.mark.parametrize(
    ("reading", "field", "words"),
    [
        ({"measured_at": "FRESH", "pv_kw": -1.0}, "pv_kw", "greater than or equal to 0"),
        ({"measured_at": "FRESH", "base_load_kw": "NaN"}, "base_load_kw", "finite"),
        ({"measured_at": "FRESH"}, "readings.0", "pv_kw, base_load_kw or both"),
        ({"measured_at": "2026-12-06T10:00:00", "pv_kw": 1.0}, "measured_at", "timezone"),
        ({"measured_at": "OLD", "pv_kw": 1.0}, "measured_at", "no EV power was recorded in the 2 minutes before"),
        ({"measured_at": "FUTURE", "pv_kw": 1.0}, "measured_at", "must not be ahead of this server's clock"),
        ({"measured_at": "FRESH", "pv_kw": 1.0, "grid_kw": 3.0}, "grid_kw", "Extra inputs"),
    ],
)
async def test_a_bad_reading_is_refused_with_the_field_and_nothing_is_stored(
    runtime: Runtime, api: httpx.AsyncClient, reading: dict[str, object], field: str, words: str
) -> None:
    times = {"FRESH": _at(1), "OLD": _at(6), "FUTURE": _at(-2)}
    bad = {k: times.get(v, v) if isinstance(v, str) else v for k, v in reading.items()}
    good = {"measured_at": _at(0.5), "pv_kw": 5.0}

    answer = await api.post(URL, json={"readings": [good, bad] if field != "readings.0" else [bad]})

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["status"] == 422
    assert any(field in d["field"] and words in d["message"] for d in problem["errors"]), problem
    assert await runtime.store.site_samples(datetime.now(UTC) - timedelta(minutes=10)) == []


async def test_late_readings_take_the_ev_power_the_site_recorded_then(runtime: Runtime, api: httpx.AsyncClient) -> None:
    # The gateway's link was down for an hour; the controller ran and recorded the chargers' power.
    now = runtime.clock.now()
    await runtime.store.add_site_sample(now - timedelta(minutes=61), 30.0, None, None, None)
    await runtime.store.add_site_sample(now - timedelta(minutes=40), 90.0, None, None, None)
    late = [
        {"measured_at": (now - timedelta(minutes=60)).isoformat(), "pv_kw": 20.0, "base_load_kw": 70.0},
        {"measured_at": (now - timedelta(minutes=39)).isoformat(), "pv_kw": 10.0, "base_load_kw": 75.0},
    ]

    answer = await api.post(URL, json={"readings": late})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 2}
    stored = {s.measured_at: s for s in await runtime.store.site_samples(now - timedelta(minutes=62))}
    first, second = stored[now - timedelta(minutes=60)], stored[now - timedelta(minutes=39)]
    assert first.ev_power_kw == 30.0
    assert first.grid_import_kw == pytest.approx(30.0 + 70.0 - 20.0)
    assert second.ev_power_kw == 90.0
    assert second.grid_import_kw == pytest.approx(90.0 + 75.0 - 10.0)


async def test_late_readings_from_when_nothing_was_recorded_are_refused_each_by_its_index(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    now = runtime.clock.now()
    await runtime.store.add_site_sample(now - timedelta(minutes=30), 15.0, None, None, None)
    readings = [
        {"measured_at": (now - timedelta(minutes=29)).isoformat(), "pv_kw": 5.0},
        {"measured_at": (now - timedelta(minutes=20)).isoformat(), "pv_kw": 5.0},
        {"measured_at": (now - timedelta(hours=3)).isoformat(), "pv_kw": 5.0},
    ]

    answer = await api.post(URL, json={"readings": readings})

    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["body.readings.1.measured_at", "body.readings.2.measured_at"]
    assert len(await runtime.store.site_samples(now - timedelta(hours=4))) == 1  # only the controller's own


async def test_no_readings_or_too_many_are_refused(api: httpx.AsyncClient) -> None:
    assert (await api.post(URL, json={"readings": []})).status_code == 422
    many = [{"measured_at": _at(4.0 - k / 20), "pv_kw": 1.0} for k in range(61)]
    answer = await api.post(URL, json={"readings": many})
    assert answer.status_code == 422
    assert "at most 60" in answer.text


async def test_a_fleet_manager_cannot_send_readings(fleet_manager: httpx.AsyncClient) -> None:
    answer = await fleet_manager.post(URL, json={"readings": [{"measured_at": _at(1), "pv_kw": 1.0}]})
    assert answer.status_code == 403
