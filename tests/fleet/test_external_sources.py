"""Outside forecast data named in the site file reaches the plan's forecast; a broken source does not stop it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleet.external_sources import ExternalSources
from fleet.site_config import SiteConfigError, load_site
from fleet.site_forecast import forecast_site

MILAN = Path(__file__).parents[2] / "fleet" / "sites" / "milan.yaml"
NOW = datetime(2026, 6, 22, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Milan: band F1


def _site_with(tmp_path: Path, sources: str) -> Path:
    site = tmp_path / "site.yaml"
    site.write_text(MILAN.read_text(encoding="utf-8") + sources, encoding="utf-8")
    return site


def _write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


async def test_hourly_prices_and_irradiance_from_csv(tmp_path: Path) -> None:
    hours = [NOW + timedelta(hours=h) for h in range(4)]
    _write_csv(
        tmp_path / "prices.csv", "timestamp,eur_per_kwh", [f"{t.isoformat()},0.{10 + h}" for h, t in enumerate(hours)]
    )
    # An overcast morning: a tenth of clear-sky irradiance.
    _write_csv(tmp_path / "sky.csv", "timestamp,ghi_w_m2", [f"{t.isoformat()},80" for t in hours])
    site = load_site(
        _site_with(tmp_path, "forecast_sources:\n  prices_csv: prices.csv\n  irradiance: {kind: csv, path: sky.csv}\n")
    )

    external = await ExternalSources(site).get(NOW)
    with_sources = forecast_site(site, NOW, 24, None, external)
    without = forecast_site(site, NOW, 24, None, None)

    assert with_sources.import_price_eur_per_kwh[:4] == pytest.approx((0.10, 0.10, 0.10, 0.10))
    assert with_sources.import_price_eur_per_kwh[8] == pytest.approx(0.12)
    # Beyond the file, the ARERA bands price the slots again (F1 on a Monday at 14:00).
    assert with_sources.import_price_eur_per_kwh[20] == pytest.approx(site.site.tariff.f1_eur_per_kwh)
    assert without.import_price_eur_per_kwh[0] == pytest.approx(site.site.tariff.f1_eur_per_kwh)
    assert with_sources.pv_kw[0] < 0.3 * without.pv_kw[0]


async def test_a_missing_source_leaves_the_priors_in_charge(tmp_path: Path) -> None:
    site = load_site(_site_with(tmp_path, "forecast_sources:\n  prices_csv: nowhere.csv\n"))
    external = await ExternalSources(site).get(NOW)
    assert external.prices is None
    forecast = forecast_site(site, NOW, 24, None, external)
    assert forecast.import_price_eur_per_kwh[0] == pytest.approx(site.site.tariff.f1_eur_per_kwh)


def test_unknown_irradiance_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match=r"forecast_sources\.irradiance"):
        load_site(_site_with(tmp_path, "forecast_sources:\n  irradiance: {kind: satellite}\n"))
