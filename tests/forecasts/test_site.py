"""Site inputs are checked when they are built."""

from __future__ import annotations

import dataclasses

import pytest

from forecasts import BaseLoadProfile, ForecastInputError, PvArray, SiteLocation, TariffBands


def test_the_milan_site_is_accepted() -> None:
    location = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
    array = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)

    assert location.timezone == "Europe/Rome"
    assert array.losses_fraction == 0.14
    assert BaseLoadProfile(min_kw=40.0, max_kw=120.0).max_kw == 120.0
    assert TariffBands(0.30, 0.25, 0.20, 0.05, 10.0).f2_eur_per_kwh == 0.25


def test_site_inputs_are_immutable() -> None:
    profile = BaseLoadProfile(min_kw=40.0, max_kw=120.0)

    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.max_kw = 200.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"latitude_deg": 91.0}, "latitude_deg"),
        ({"latitude_deg": float("nan")}, "latitude_deg"),
        ({"longitude_deg": -180.5}, "longitude_deg"),
        ({"altitude_m": 10_000.0}, "altitude_m"),
        ({"altitude_m": "120"}, "altitude_m"),
        ({"latitude_deg": True}, "latitude_deg"),
        ({"timezone": "Europe/Milano"}, "timezone"),
        ({"timezone": ""}, "timezone"),
    ],
)
def test_bad_locations_are_rejected_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "latitude_deg": 45.445,
        "longitude_deg": 9.205,
        "altitude_m": 120.0,
        "timezone": "Europe/Rome",
    }
    values.update(kwargs)

    with pytest.raises(ForecastInputError, match=field):
        SiteLocation(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"peak_power_kwp": 0.0}, "peak_power_kwp"),
        ({"tilt_deg": -1.0}, "tilt_deg"),
        ({"tilt_deg": 91.0}, "tilt_deg"),
        ({"azimuth_deg": 360.0}, "azimuth_deg"),
        ({"losses_fraction": 1.0}, "losses_fraction"),
        ({"losses_fraction": -0.1}, "losses_fraction"),
    ],
)
def test_bad_pv_arrays_are_rejected_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"name": "roofs", "peak_power_kwp": 250.0, "tilt_deg": 15.0, "azimuth_deg": 180.0}
    values.update(kwargs)

    with pytest.raises(ForecastInputError, match=field):
        PvArray(**values)  # type: ignore[arg-type]


def test_base_load_range_must_be_ordered_and_non_negative() -> None:
    with pytest.raises(ForecastInputError, match="max_kw: must be >= min_kw"):
        BaseLoadProfile(min_kw=120.0, max_kw=40.0)
    with pytest.raises(ForecastInputError, match="min_kw: must be >= 0"):
        BaseLoadProfile(min_kw=-1.0, max_kw=40.0)


def test_negative_tariff_prices_are_rejected() -> None:
    with pytest.raises(ForecastInputError, match="f3_eur_per_kwh"):
        TariffBands(0.30, 0.25, -0.20, 0.05, 10.0)
    with pytest.raises(ForecastInputError, match="capacity_charge_eur_per_kw_month"):
        TariffBands(0.30, 0.25, 0.20, 0.05, float("inf"))


def test_input_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="peak_power_kwp"):
        PvArray(name="roofs", peak_power_kwp=-5.0, tilt_deg=15.0, azimuth_deg=180.0)
