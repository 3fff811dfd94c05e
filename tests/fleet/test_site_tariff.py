"""GET /site/tariff: the tariff of the site file, the band and price now, and over the current plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import ForecastSourcesConfig, load_site
from forecasts import tariff_band
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in

SITE_BANDS = {"F1": 0.182, "F2": 0.165, "F3": 0.138}
"""The band prices of the Milan site file."""


async def test_the_tariff_is_the_site_files_and_now_is_priced_by_band_before_a_plan(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/v1/site/tariff")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["timezone"] == "Europe/Rome"
    assert body["tariff"] == {
        "f1_eur_per_kwh": 0.182,
        "f2_eur_per_kwh": 0.165,
        "f3_eur_per_kwh": 0.138,
        "export_eur_per_kwh": 0.06,
        "capacity_charge_eur_per_kw_month": 4.5,
        "hourly_prices_csv": None,
    }
    now = body["now"]
    band = tariff_band(datetime.fromisoformat(now["at"]))
    assert (now["tariff_band"], now["price_source"]) == (band, "bands")
    assert now["import_price_eur_per_kwh"] == SITE_BANDS[band]
    assert now["export_price_eur_per_kwh"] == 0.06
    assert body["horizon"] == {
        "schedule_id": None,
        "slot_starts": [],
        "slot_duration_h": [],
        "tariff_band": [],
        "import_price_eur_per_kwh": [],
        "export_price_eur_per_kwh": [],
    }


async def test_each_slot_of_the_plan_has_its_band_and_the_band_price(runtime: Runtime, api: httpx.AsyncClient) -> None:
    result = await runtime.control_loop.replan(("test",))
    body = (await api.get("/api/v1/site/tariff")).json()
    horizon = body["horizon"]
    assert horizon["schedule_id"] == result.schedule_id
    n = len(result.forecast.slot_starts)
    assert n >= 24 * 4
    starts = [datetime.fromisoformat(s) for s in horizon["slot_starts"]]
    assert starts == list(result.forecast.slot_starts)
    assert horizon["tariff_band"] == [tariff_band(s) for s in starts]
    # No count of bands: a horizon over a Sunday or a holiday is F3 throughout. The band boundaries
    # are tested in tests/forecasts/test_prices.py.
    assert horizon["import_price_eur_per_kwh"] == pytest.approx([SITE_BANDS[b] for b in horizon["tariff_band"]])
    assert horizon["export_price_eur_per_kwh"] == [0.06] * n
    # The same bands and prices the plan shows in the site's timeseries.
    timeseries = (await api.get("/api/v1/site/timeseries")).json()["horizon"]
    assert timeseries["tariff_band"] == horizon["tariff_band"]
    assert timeseries["import_price_eur_per_kwh"] == pytest.approx(horizon["import_price_eur_per_kwh"])
    now = body["now"]
    assert now["price_source"] == "plan"
    slot = result.forecast.slot_index(datetime.fromisoformat(now["at"]))
    assert slot is not None
    assert now["import_price_eur_per_kwh"] == pytest.approx(result.forecast.import_price_eur_per_kwh[slot])
    assert now["tariff_band"] == horizon["tariff_band"][slot]


@pytest.fixture
async def priced_runtime(tmp_path: Path, database_url: str) -> AsyncIterator[Runtime]:
    """The Milan site with hourly prices for the next 6 hours: 0.30, 0.31, ... EUR/kWh."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = [f"{(hour + timedelta(hours=h)).isoformat()},{0.30 + h / 100:.2f}" for h in range(6)]
    prices = tmp_path / "hourly-prices.csv"
    prices.write_text("timestamp,eur_per_kwh\n" + "\n".join(rows) + "\n")
    site = load_site()
    site = site.model_copy(update={"forecast_sources": ForecastSourcesConfig(prices_csv=prices)})
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY)
    rt = Runtime(site, settings, secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    operator = ACCOUNTS["operator"]
    await rt.auth.create_account(operator.name, AccountKind.USER, operator.role, None, operator.secret)
    yield rt
    await rt.store.close()


async def test_hourly_prices_price_the_plan_where_they_reach(priced_runtime: Runtime) -> None:
    result = await priced_runtime.control_loop.replan(("test",))
    transport = httpx.ASGITransport(app=priced_runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as anonymous:
        token = await sign_in(anonymous, "operator")
        answer = await anonymous.get("/api/v1/site/tariff", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["tariff"]["hourly_prices_csv"] == "hourly-prices.csv"
    now = body["now"]
    assert now["price_source"] == "plan"
    # The slot now lies in the first hour of the series, whatever band is in force.
    assert now["import_price_eur_per_kwh"] == pytest.approx(0.30, abs=0.011)
    horizon = body["horizon"]
    series_end = result.forecast.slot_starts[0].replace(minute=0, second=0, microsecond=0) + timedelta(hours=6)
    for start, band, price in zip(
        horizon["slot_starts"], horizon["tariff_band"], horizon["import_price_eur_per_kwh"], strict=True
    ):
        if datetime.fromisoformat(start) >= series_end:
            assert price == pytest.approx(SITE_BANDS[band])
        else:
            assert price >= 0.30 - 1e-9
