"""Sky conditions at the PV chain's sample instants: clear sky, or an irradiance series.

An irradiance series (a weather forecast, a satellite product or a pyranometer) gives means over
intervals of typically an hour, too coarse near sunrise and sunset. Each component is spread over the
5-minute samples in the shape of its clear-sky counterpart, scaled so that the interval mean is kept:
``ghi(t) = ghi_interval * ghi_clear(t) / mean(ghi_clear over the interval)``, and likewise for the
direct normal and diffuse components. A series with global horizontal irradiance only is split into
direct and diffuse per sample with the Erbs correlation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib

from forecasts.errors import ForecastInputError
from forecasts.series import checked_series, interval_ends, lookup_intervals, values_at
from forecasts.site import SiteLocation
from forecasts.slots import slot_average, sub_slot_samples

# Below this clear-sky interval mean [W/m2] the clear-sky shape is no guide (the model has the sun
# down while the data, timed a little differently, already sees light): the value is used flat.
_MIN_CLEAR_MEAN_W_M2 = 1.0


@dataclass(frozen=True, eq=False)
class IrradianceSeries:
    """Irradiance over intervals, indexed by interval start (see :mod:`forecasts.series`).

    Parameters
    ----------
    ghi_w_m2
        Global horizontal irradiance [W/m2], >= 0.
    dni_w_m2, dhi_w_m2
        Direct normal and diffuse horizontal irradiance [W/m2], >= 0; both or neither. When absent
        they are derived from ``ghi_w_m2`` (Erbs).
    air_temperature_c
        Air temperature [degC], optional; the PV chain's default applies where absent.

    All given series share the index of ``ghi_w_m2``; they are normalised to float64 on UTC.
    """

    ghi_w_m2: pd.Series
    dni_w_m2: pd.Series | None = None
    dhi_w_m2: pd.Series | None = None
    air_temperature_c: pd.Series | None = None

    def __post_init__(self) -> None:
        ghi = checked_series("ghi_w_m2", self.ghi_w_m2, min_value=0.0)
        if len(ghi) == 0:
            raise ForecastInputError("ghi_w_m2: the irradiance series is empty")
        object.__setattr__(self, "ghi_w_m2", ghi)
        if (self.dni_w_m2 is None) != (self.dhi_w_m2 is None):
            raise ForecastInputError("dni_w_m2: give both dni_w_m2 and dhi_w_m2, or neither")
        for field_name, min_value in (("dni_w_m2", 0.0), ("dhi_w_m2", 0.0), ("air_temperature_c", None)):
            value = getattr(self, field_name)
            if value is None:
                continue
            checked = checked_series(field_name, value, min_value=min_value)
            if not checked.index.equals(ghi.index):
                raise ForecastInputError(f"{field_name}: must have the same timestamps as ghi_w_m2")
            object.__setattr__(self, field_name, checked)

    @property
    def index(self) -> pd.DatetimeIndex:
        """Interval starts (UTC)."""
        return pd.DatetimeIndex(self.ghi_w_m2.index)


class IrradianceProvider(Protocol):
    """Where an irradiance forecast comes from: a weather service, a file."""

    def irradiance(self, location: SiteLocation, start_utc: datetime, end_utc: datetime) -> IrradianceSeries:
        """Irradiance over ``[start_utc, end_utc)`` at the site; it may cover less."""
        ...


def clear_sky_irradiance(location: SiteLocation, times_utc: pd.DatetimeIndex) -> pd.DataFrame:
    """Sun position and Ineichen clear-sky irradiance at each instant.

    Parameters
    ----------
    location
        The site (latitude, longitude and altitude).
    times_utc
        Instants (timezone-aware).

    Returns
    -------
    pandas.DataFrame
        Columns ``apparent_zenith`` and ``azimuth`` [deg], ``dni_extra``, ``ghi``, ``dni``, ``dhi``
        [W/m2]; irradiance 0 with the sun down. Linke turbidity from the climatology bundled with
        pvlib (offline).
    """
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


@dataclass(frozen=True, eq=False)
class SeriesSky:
    """Sky at sample instants from an irradiance series.

    Attributes
    ----------
    sky
        As :func:`clear_sky_irradiance`, with ``ghi``, ``dni`` and ``dhi`` from the series; zero where
        the series does not cover the instant.
    air_temperature_c
        Air temperature [degC] per instant, NaN where the series has none.
    covered
        True where an interval of the series holds the instant.
    """

    sky: pd.DataFrame
    air_temperature_c: npt.NDArray[np.float64]
    covered: npt.NDArray[np.bool_]


def series_sky(irradiance: IrradianceSeries, location: SiteLocation, times_utc: pd.DatetimeIndex) -> SeriesSky:
    """Spread an irradiance series over sample instants in the shape of clear sky (see module doc)."""
    clear = clear_sky_irradiance(location, times_utc)
    lookup = lookup_intervals(irradiance.index, times_utc)
    used = np.unique(lookup.position[lookup.covered])
    sky = clear.copy()
    for column in ("ghi", "dni", "dhi"):
        sky[column] = 0.0
    if used.size:
        starts = irradiance.index[used]
        ends = interval_ends(irradiance.index)[used]
        pieces = sub_slot_samples(pd.DatetimeIndex(starts), pd.DatetimeIndex(ends))
        clear_pieces = clear_sky_irradiance(location, pieces.times_utc)
        # Map each covered sample to the row of its interval among the used ones.
        row = np.searchsorted(used, lookup.position)
        sun_up = np.asarray(clear["apparent_zenith"], dtype=np.float64) < 90.0
        measured = {"ghi": irradiance.ghi_w_m2, "dni": irradiance.dni_w_m2, "dhi": irradiance.dhi_w_m2}
        for column, values in measured.items():
            if values is None:
                continue
            interval_clear = slot_average(np.asarray(clear_pieces[column], dtype=np.float64), pieces)
            shaped = _shaped(
                np.asarray(values.to_numpy(), dtype=np.float64)[used],
                interval_clear,
                np.asarray(clear[column], dtype=np.float64),
                row,
                lookup.covered,
                sun_up,
            )
            sky[column] = shaped
        if irradiance.dni_w_m2 is None:
            split = pvlib.irradiance.erbs(sky["ghi"], sky["apparent_zenith"], times_utc)
            sky["dni"] = np.nan_to_num(np.asarray(split["dni"], dtype=np.float64))
            sky["dhi"] = np.nan_to_num(np.asarray(split["dhi"], dtype=np.float64))
    temperature = np.full(len(times_utc), np.nan, dtype=np.float64)
    if irradiance.air_temperature_c is not None:
        temperature, _ = values_at(irradiance.air_temperature_c, times_utc)
    return SeriesSky(sky=sky, air_temperature_c=temperature, covered=lookup.covered)


def _shaped(
    interval_value: npt.NDArray[np.float64],
    interval_clear_mean: npt.NDArray[np.float64],
    clear_at_sample: npt.NDArray[np.float64],
    row: npt.NDArray[np.int64],
    covered: npt.NDArray[np.bool_],
    sun_up: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Sample values keeping each interval's mean, in the shape of the clear-sky component."""
    result = np.zeros(len(clear_at_sample), dtype=np.float64)
    safe_row = np.clip(row, 0, max(len(interval_value) - 1, 0))
    value = interval_value[safe_row]
    clear_mean = interval_clear_mean[safe_row]
    shaped = covered & (clear_mean >= _MIN_CLEAR_MEAN_W_M2)
    result[shaped] = value[shaped] * clear_at_sample[shaped] / clear_mean[shaped]
    flat = covered & ~shaped & sun_up
    result[flat] = value[flat]
    return result
