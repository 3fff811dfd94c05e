"""Clear-sky PV output of the Milan arrays, and the firm share a plan may count on."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts import ForecastInputError, PvArray, SiteLocation, clear_sky_pv_kw, pv_firm_kw, slot_grid

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
ROOFS = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)


def day_kw(day: datetime, slot_min: int = 15, arrays: tuple[PvArray, ...] = (ROOFS,)) -> pd.Series:
    """One UTC day of output, night hours included."""
    starts, ends = slot_grid(day, horizon_h=24.0, slot_min=slot_min)
    return clear_sky_pv_kw(arrays, MILAN, starts, ends)


def peak_start(pv: pd.Series) -> pd.Timestamp:
    """Start of the slot with the highest output."""
    return pd.Timestamp(pv.index[int(np.argmax(pv.to_numpy()))])


def test_output_is_named_and_indexed_by_slot_start() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 21, 10, 7, tzinfo=UTC), horizon_h=2.0, slot_min=15)

    pv = clear_sky_pv_kw([ROOFS], MILAN, starts, ends)

    assert pv.name == "pv_kw"
    assert pv.index.equals(starts)


def test_night_is_zero() -> None:
    pv = day_kw(datetime(2025, 6, 21, tzinfo=UTC))

    # Sunrise in Milan on 21 June is at about 03:35 UTC, sunset at about 19:15 UTC.
    assert (pv[pv.index < "2025-06-21 03:30+00:00"] == 0.0).all()
    assert (pv[pv.index >= "2025-06-21 19:30+00:00"] == 0.0).all()
    assert (pv[(pv.index >= "2025-06-21 05:00+00:00") & (pv.index < "2025-06-21 18:00+00:00")] > 0.0).all()


@pytest.mark.parametrize("day", [datetime(2025, 6, 21, tzinfo=UTC), datetime(2025, 12, 21, tzinfo=UTC)])
def test_a_south_facing_array_peaks_at_solar_noon(day: datetime) -> None:
    pv = day_kw(day, slot_min=5)

    # 9.205 E is 36.8 min of sun time east of Greenwich; with the equation of time (-2 min in June,
    # +2 min in December) solar noon falls at 11:21-11:25 UTC.
    peak = peak_start(pv)
    assert pd.Timestamp(day.replace(hour=11, minute=10)) <= peak <= pd.Timestamp(day.replace(hour=11, minute=35))


def test_a_clear_june_day_gives_a_plausible_energy() -> None:
    pv = day_kw(datetime(2025, 6, 21, tzinfo=UTC))

    energy_kwh = float((pv * 0.25).sum())

    # Clear-sky global irradiation on a June day in Milan is 7.3 kWh/m2 with the tabulated (hazy)
    # turbidity and up to 8.6 kWh/m2 on the cleanest days of the PVGIS typical year nearby; a 15 deg
    # south tilt changes it by a few percent in June. The performance ratio is about
    # 0.86 (losses) x 0.93 (cells at ~45 degC) x 0.97 (reflection) x 0.96 (inverter) = 0.74, so
    # 250 kWp x 7.3-8.6 h x 0.74 = 1,350-1,590 kWh; the range leaves room on both sides.
    assert 1_300.0 <= energy_kwh <= 1_700.0


def test_june_gives_more_than_december() -> None:
    june_kwh = float(day_kw(datetime(2025, 6, 21, tzinfo=UTC)).sum() * 0.25)
    december_kwh = float(day_kw(datetime(2025, 12, 21, tzinfo=UTC)).sum() * 0.25)

    assert june_kwh > 2.0 * december_kwh
    assert december_kwh > 0.0


def test_output_never_exceeds_the_derated_peak_power() -> None:
    cold_spring_noon = datetime(2025, 4, 15, 10, 0, tzinfo=UTC)
    starts, ends = slot_grid(cold_spring_noon, horizon_h=3.0, slot_min=5)

    pv = clear_sky_pv_kw([ROOFS], MILAN, starts, ends, air_temperature_c=-10.0)

    assert pv.max() <= 250.0 * (1.0 - 0.14)
    assert pv.max() > 0.5 * 250.0


def test_a_short_first_slot_averages_its_own_minutes() -> None:
    # 04:02-04:15 UTC on 21 June, just after sunrise, is the pieces 04:02-04:05, 04:05-04:10 and
    # 04:10-04:15; each priced on its own gives the values to weight by 3, 5 and 5 minutes.
    first = clear_sky_pv_kw(
        [ROOFS],
        MILAN,
        pd.DatetimeIndex([datetime(2025, 6, 21, 4, 2, tzinfo=UTC)]),
        pd.DatetimeIndex([datetime(2025, 6, 21, 4, 15, tzinfo=UTC)]),
    )
    pieces = clear_sky_pv_kw(
        [ROOFS],
        MILAN,
        pd.DatetimeIndex([datetime(2025, 6, 21, 4, minute, tzinfo=UTC) for minute in (2, 5, 10)]),
        pd.DatetimeIndex([datetime(2025, 6, 21, 4, minute, tzinfo=UTC) for minute in (5, 10, 15)]),
    )

    assert pieces.is_monotonic_increasing
    assert first.iloc[0] == pytest.approx(float(np.average(pieces, weights=[3, 5, 5])))


def test_arrays_add_up_and_east_peaks_before_west() -> None:
    east = PvArray(name="east", peak_power_kwp=100.0, tilt_deg=30.0, azimuth_deg=90.0)
    west = PvArray(name="west", peak_power_kwp=100.0, tilt_deg=30.0, azimuth_deg=270.0)
    day = datetime(2025, 6, 21, tzinfo=UTC)

    east_kw = day_kw(day, arrays=(east,))
    west_kw = day_kw(day, arrays=(west,))
    both_kw = day_kw(day, arrays=(east, west))

    assert both_kw.to_numpy() == pytest.approx((east_kw + west_kw).to_numpy())
    assert peak_start(east_kw) < pd.Timestamp("2025-06-21 11:00+00:00") < peak_start(west_kw)


def test_a_site_without_arrays_produces_nothing() -> None:
    assert (day_kw(datetime(2025, 6, 21, tzinfo=UTC), arrays=()) == 0.0).all()


def test_bad_inputs_are_rejected() -> None:
    starts, ends = slot_grid(datetime(2025, 6, 21, 10, 0, tzinfo=UTC), horizon_h=1.0, slot_min=15)

    with pytest.raises(ForecastInputError, match=r"arrays\[0\]"):
        clear_sky_pv_kw(["roofs"], MILAN, starts, ends)  # type: ignore[list-item]
    with pytest.raises(ForecastInputError, match="air_temperature_c"):
        clear_sky_pv_kw([ROOFS], MILAN, starts, ends, air_temperature_c=float("nan"))
    with pytest.raises(ForecastInputError, match="slot_ends: length"):
        clear_sky_pv_kw([ROOFS], MILAN, starts, ends[:2])


@settings(max_examples=25, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    slot_min=st.sampled_from([5, 15, 60]),
    tilt_deg=st.floats(min_value=0.0, max_value=90.0),
    azimuth_deg=st.floats(min_value=0.0, max_value=359.9),
    latitude_deg=st.floats(min_value=-70.0, max_value=70.0),
)
def test_output_is_between_zero_and_the_derated_peak(
    now: datetime, slot_min: int, tilt_deg: float, azimuth_deg: float, latitude_deg: float
) -> None:
    array = PvArray(name="any", peak_power_kwp=10.0, tilt_deg=tilt_deg, azimuth_deg=azimuth_deg)
    site = SiteLocation(latitude_deg=latitude_deg, longitude_deg=9.2, altitude_m=100.0, timezone="Europe/Rome")
    starts, ends = slot_grid(now, horizon_h=30.0, slot_min=slot_min)

    pv = clear_sky_pv_kw([array], site, starts, ends)

    assert pv.notna().all()
    assert (pv >= 0.0).all()
    assert (pv <= 10.0 * (1.0 - 0.14) + 1e-9).all()


def test_firm_share_scales_the_expected_curve() -> None:
    expected = pd.Series([0.0, 100.0, 180.0], name="pv_kw")

    assert pv_firm_kw(expected, 0.5).tolist() == [0.0, 50.0, 90.0]
    assert pv_firm_kw(expected, 0.0).tolist() == [0.0, 0.0, 0.0]
    assert pv_firm_kw(expected, 1.0).tolist() == [0.0, 100.0, 180.0]
    assert pv_firm_kw(expected, 0.5).name == "pv_firm_kw"
    assert pv_firm_kw(expected, 0.5).index.equals(expected.index)


def test_firm_share_rejects_bad_input() -> None:
    with pytest.raises(ForecastInputError, match="firm_fraction"):
        pv_firm_kw(pd.Series([1.0]), 1.5)
    with pytest.raises(ForecastInputError, match="firm_fraction"):
        pv_firm_kw(pd.Series([1.0]), float("nan"))
    with pytest.raises(ForecastInputError, match="expected: PV power must be >= 0"):
        pv_firm_kw(pd.Series([1.0, -2.0]), 0.5)
    with pytest.raises(ForecastInputError, match="expected: has missing"):
        pv_firm_kw(pd.Series([1.0, None]), 0.5)
