"""PV output of the site's arrays on the slot grid under clear sky or a given sky.

The chain, per 5-minute sample (see :mod:`forecasts.slots`):

1. solar position (NREL SPA, pvlib);
2. irradiance: Ineichen clear sky with the Linke turbidity climatology bundled with pvlib (offline),
   or an irradiance series spread over the samples (see :mod:`forecasts.irradiance`);
3. transposition to the plane of each array with the Hay-Davies sky model, ground albedo 0.25;
4. beam reflection losses at the module glass (physical incidence-angle modifier);
5. cell temperature from the PVsyst heat-loss model at the series' or an assumed air temperature;
6. PVWatts DC power with its temperature coefficient, then the array's DC losses;
7. PVWatts inverter efficiency curve, the AC output clipped at ``kWp * (1 - losses)``.

Clear sky is the upper bound of a typical day: clouds only lower it. The turbidity is a monthly
climatology, so an exceptionally clean day can beat it (the PVGIS typical year for 45 N 8 E has June
days of 8.4-8.6 kWh/m2 global horizontal against 7.3 kWh/m2 from this model for Milan, where the
tabulated June Linke turbidity is a hazy 5.3).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib

from forecasts.errors import ForecastInputError
from forecasts.irradiance import IrradianceSeries, clear_sky_irradiance, series_sky
from forecasts.site import PvArray, SiteLocation
from forecasts.slots import slot_average, sub_slot_samples

# Crystalline-silicon module power temperature coefficient, the PVWatts (v6+) "standard" module.
GAMMA_PDC_PER_K = -0.0037
INVERTER_NOMINAL_EFFICIENCY = 0.96
# Urban roofs and paving; the pvlib default.
GROUND_ALBEDO = 0.25
# PVsyst heat-loss factor for freely ventilated (rack-mounted) modules [W/m2/K].
PVSYST_U_C_W_PER_M2_K = 29.0
MODULE_EFFICIENCY = 0.20
# A mild mid-latitude daytime air temperature [degC]. Milan's clear-day afternoon maxima run from
# about 7 degC in January to 30 degC in July; at GAMMA_PDC_PER_K that spread moves output by
# about +5 % / -4 % around this value, small beside the cloud error that clear sky ignores.
DEFAULT_AIR_TEMPERATURE_C = 20.0
DEFAULT_WIND_SPEED_M_S = 1.0


def clear_sky_pv_kw(
    arrays: Sequence[PvArray],
    location: SiteLocation,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    air_temperature_c: float = DEFAULT_AIR_TEMPERATURE_C,
    wind_speed_m_s: float = DEFAULT_WIND_SPEED_M_S,
) -> pd.Series:
    """Clear-sky AC output of all arrays together, averaged over each slot [kW].

    Parameters
    ----------
    arrays
        The site's PV arrays; an empty sequence gives zero output.
    location
        Where the arrays are (latitude, longitude and altitude drive sun and clear-sky models).
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    air_temperature_c
        Ambient air temperature [degC] assumed at all hours, for the cell temperature.
    wind_speed_m_s
        Wind speed [m/s] assumed at all hours, for the cell temperature.

    Returns
    -------
    pandas.Series
        ``pv_kw`` indexed by ``slot_starts``: mean AC power over each slot [kW], 0 at night, never
        above :func:`ac_rating_kw`.
    """
    _check_arrays(arrays)
    _check_weather(air_temperature_c, wind_speed_m_s)
    samples = sub_slot_samples(slot_starts, slot_ends)
    total_w = np.zeros(len(samples.times_utc), dtype=np.float64)
    if arrays:
        sky = clear_sky_irradiance(location, samples.times_utc)
        for array in arrays:
            total_w += _array_ac_w(array, sky, air_temperature_c, wind_speed_m_s)
    average_kw = slot_average(total_w / 1000.0, samples)
    return pd.Series(average_kw, index=slot_starts, name="pv_kw", dtype=np.float64)


def irradiance_pv_kw(
    arrays: Sequence[PvArray],
    location: SiteLocation,
    irradiance: IrradianceSeries,
    slot_starts: pd.DatetimeIndex,
    slot_ends: pd.DatetimeIndex,
    *,
    air_temperature_c: float = DEFAULT_AIR_TEMPERATURE_C,
    wind_speed_m_s: float = DEFAULT_WIND_SPEED_M_S,
) -> pd.Series:
    """AC output of all arrays under a given irradiance series, averaged over each slot [kW].

    Parameters
    ----------
    arrays
        The site's PV arrays; an empty sequence gives zero output.
    location
        Where the arrays are.
    irradiance
        Irradiance means over intervals (a forecast, or measurements); its air temperature, where
        given, replaces ``air_temperature_c``.
    slot_starts, slot_ends
        The slot grid (timezone-aware, equal length).
    air_temperature_c
        Air temperature [degC] where the series has none.
    wind_speed_m_s
        Wind speed [m/s] assumed at all hours.

    Returns
    -------
    pandas.Series
        ``pv_kw`` indexed by ``slot_starts``; NaN for a slot the series does not cover entirely.
    """
    _check_arrays(arrays)
    _check_weather(air_temperature_c, wind_speed_m_s)
    if not isinstance(irradiance, IrradianceSeries):
        raise ForecastInputError(f"irradiance: must be an IrradianceSeries, got {type(irradiance).__name__}")
    samples = sub_slot_samples(slot_starts, slot_ends)
    measured = series_sky(irradiance, location, samples.times_utc)
    temperature_c = np.where(np.isnan(measured.air_temperature_c), air_temperature_c, measured.air_temperature_c)
    total_w = np.zeros(len(samples.times_utc), dtype=np.float64)
    for array in arrays:
        total_w += _array_ac_w(array, measured.sky, temperature_c, wind_speed_m_s)
    average_kw = slot_average(total_w / 1000.0, samples)
    uncovered_s = np.bincount(
        samples.slot_position, weights=samples.duration_s * ~measured.covered, minlength=samples.n_slots
    )
    average_kw[uncovered_s > 0.0] = np.nan
    return pd.Series(average_kw, index=slot_starts, name="pv_kw", dtype=np.float64)


def ac_rating_kw(arrays: Sequence[PvArray]) -> float:
    """Highest AC output of the arrays together [kW]: the sum of ``kWp * (1 - losses)``."""
    _check_arrays(arrays)
    return float(sum(array.peak_power_kwp * (1.0 - array.losses_fraction) for array in arrays))


def pv_firm_kw(expected: pd.Series, firm_fraction: float) -> pd.Series:
    """The part of a PV forecast the grid-limit constraint may count on [kW].

    Clear sky is an upper bound: a passing cloud can take most of it away within minutes, while the
    grid import limit must hold in every slot. The plan therefore counts only ``firm_fraction`` of
    the expected output against the limit; 0 trusts no PV at all (the safe default when the forecast
    is clear sky), 1 trusts all of it.

    Parameters
    ----------
    expected
        Expected PV output per slot [kW], >= 0, no missing values.
    firm_fraction
        Share of the expected output that may be relied on [-], in [0, 1].

    Returns
    -------
    pandas.Series
        ``pv_firm_kw`` on the same index.
    """
    if not isinstance(expected, pd.Series):
        raise ForecastInputError(f"expected: must be a pandas Series, got {type(expected).__name__}")
    if isinstance(firm_fraction, bool) or not isinstance(firm_fraction, int | float):
        raise ForecastInputError(f"firm_fraction: must be a number, got {firm_fraction!r}")
    if not 0.0 <= firm_fraction <= 1.0:
        raise ForecastInputError(f"firm_fraction: must be in [0, 1], got {firm_fraction}")
    values = pd.to_numeric(expected, errors="coerce").astype(np.float64)
    if values.isna().any():
        raise ForecastInputError("expected: has missing or non-numeric values")
    if (values < 0).any():
        raise ForecastInputError(f"expected: PV power must be >= 0, minimum is {values.min()}")
    return (values * float(firm_fraction)).rename("pv_firm_kw")


def _check_arrays(arrays: Sequence[PvArray]) -> None:
    for position, array in enumerate(arrays):
        if not isinstance(array, PvArray):
            raise ForecastInputError(f"arrays[{position}]: must be a PvArray, got {type(array).__name__}")


def _check_weather(air_temperature_c: float, wind_speed_m_s: float) -> None:
    if not np.isfinite(air_temperature_c) or not -50.0 <= air_temperature_c <= 60.0:
        raise ForecastInputError(f"air_temperature_c: must be in [-50, 60], got {air_temperature_c}")
    if not np.isfinite(wind_speed_m_s) or wind_speed_m_s < 0:
        raise ForecastInputError(f"wind_speed_m_s: must be finite and >= 0, got {wind_speed_m_s}")


def _array_ac_w(
    array: PvArray,
    sky: pd.DataFrame,
    air_temperature_c: float | npt.NDArray[np.float64],
    wind_speed_m_s: float,
) -> npt.NDArray[np.float64]:
    """AC output of one array [W] under the given sky."""
    poa = pvlib.irradiance.get_total_irradiance(
        array.tilt_deg,
        array.azimuth_deg,
        sky["apparent_zenith"],
        sky["azimuth"],
        sky["dni"],
        sky["ghi"],
        sky["dhi"],
        dni_extra=sky["dni_extra"],
        albedo=GROUND_ALBEDO,
        model="haydavies",
    )
    incidence_deg = pvlib.irradiance.aoi(array.tilt_deg, array.azimuth_deg, sky["apparent_zenith"], sky["azimuth"])
    beam_w_m2 = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=np.float64))
    diffuse_w_m2 = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=np.float64))
    global_w_m2 = np.nan_to_num(np.asarray(poa["poa_global"], dtype=np.float64))
    beam_transmitted = np.nan_to_num(np.asarray(pvlib.iam.physical(incidence_deg), dtype=np.float64))
    effective_w_m2 = np.clip(beam_w_m2 * beam_transmitted + diffuse_w_m2, 0.0, None)

    cell_temperature_c = pvlib.temperature.pvsyst_cell(
        np.clip(global_w_m2, 0.0, None),
        air_temperature_c,
        wind_speed=wind_speed_m_s,
        u_c=PVSYST_U_C_W_PER_M2_K,
        u_v=0.0,
        module_efficiency=MODULE_EFFICIENCY,
    )
    peak_w = array.peak_power_kwp * 1000.0
    dc_w = pvlib.pvsystem.pvwatts_dc(effective_w_m2, cell_temperature_c, peak_w, GAMMA_PDC_PER_K)
    dc_w = np.clip(np.asarray(dc_w, dtype=np.float64), 0.0, None) * (1.0 - array.losses_fraction)

    # Sizing the inverter's AC rating at kWp * (1 - losses) gives a DC/AC ratio of 1 / (1 - losses),
    # 1.16 at the default losses: within the 1.1-1.3 usual for rooftop systems.
    ac_rating_w = peak_w * (1.0 - array.losses_fraction)
    ac_w = pvlib.inverter.pvwatts(
        dc_w, ac_rating_w / INVERTER_NOMINAL_EFFICIENCY, eta_inv_nom=INVERTER_NOMINAL_EFFICIENCY
    )
    result: npt.NDArray[np.float64] = np.clip(np.asarray(ac_w, dtype=np.float64), 0.0, ac_rating_w)
    return result
