"""Clear-sky PV output of the site's arrays on the slot grid, and the share a plan may rely on.

The chain, per 5-minute sample (see :mod:`forecasts.slots`):

1. solar position (NREL SPA, pvlib);
2. Ineichen clear-sky irradiance with the Linke turbidity climatology bundled with pvlib (offline);
3. transposition to the plane of each array with the Hay-Davies sky model, ground albedo 0.25;
4. beam reflection losses at the module glass (physical incidence-angle modifier);
5. cell temperature from the PVsyst heat-loss model at an assumed air temperature;
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
        above the sum of ``peak_power_kwp * (1 - losses_fraction)``.
    """
    for position, array in enumerate(arrays):
        if not isinstance(array, PvArray):
            raise ForecastInputError(f"arrays[{position}]: must be a PvArray, got {type(array).__name__}")
    if not np.isfinite(air_temperature_c) or not -50.0 <= air_temperature_c <= 60.0:
        raise ForecastInputError(f"air_temperature_c: must be in [-50, 60], got {air_temperature_c}")
    if not np.isfinite(wind_speed_m_s) or wind_speed_m_s < 0:
        raise ForecastInputError(f"wind_speed_m_s: must be finite and >= 0, got {wind_speed_m_s}")

    samples = sub_slot_samples(slot_starts, slot_ends)
    total_w = np.zeros(len(samples.times_utc), dtype=np.float64)
    if arrays:
        sky = _clear_sky_at(location, samples.times_utc)
        for array in arrays:
            total_w += _array_ac_w(array, sky, air_temperature_c, wind_speed_m_s)
    average_kw = slot_average(total_w / 1000.0, samples)
    return pd.Series(average_kw, index=slot_starts, name="pv_kw", dtype=np.float64)


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


def _clear_sky_at(location: SiteLocation, times_utc: pd.DatetimeIndex) -> pd.DataFrame:
    """Sun position and Ineichen clear-sky irradiance [W/m2] at each instant."""
    position = pvlib.solarposition.get_solarposition(
        times_utc, location.latitude_deg, location.longitude_deg, altitude=location.altitude_m
    )
    dni_extra = pvlib.irradiance.get_extra_radiation(times_utc)
    pressure_pa = pvlib.atmosphere.alt2pres(location.altitude_m)
    airmass_absolute = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(position["apparent_zenith"]), pressure_pa
    )
    linke = pvlib.clearsky.lookup_linke_turbidity(times_utc, location.latitude_deg, location.longitude_deg)
    irradiance = pvlib.clearsky.ineichen(
        position["apparent_zenith"],
        airmass_absolute,
        linke,
        altitude=location.altitude_m,
        dni_extra=dni_extra,
    )
    # The air mass is undefined with the sun below the horizon; there is no irradiance there.
    frame = pd.DataFrame(
        {
            "apparent_zenith": position["apparent_zenith"],
            "azimuth": position["azimuth"],
            "dni_extra": dni_extra,
            "ghi": irradiance["ghi"],
            "dni": irradiance["dni"],
            "dhi": irradiance["dhi"],
        },
        index=times_utc,
    )
    for column in ("ghi", "dni", "dhi"):
        frame[column] = frame[column].fillna(0.0).clip(lower=0.0)
    return frame


def _array_ac_w(
    array: PvArray, sky: pd.DataFrame, air_temperature_c: float, wind_speed_m_s: float
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
