"""Site description that the forecasts need: where it is, its PV arrays, base load and tariff.

All are frozen dataclasses checked on construction, so a forecaster can trust them.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass

from forecasts.errors import ForecastInputError


def _require_number(field_name: str, value: object) -> float:
    # bool is an int subclass; True as a latitude is a configuration mistake, not 1 degree.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForecastInputError(f"{field_name}: must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ForecastInputError(f"{field_name}: must be finite, got {value!r}")
    return number


def _require_range(field_name: str, value: object, low: float, high: float, *, high_inclusive: bool = True) -> None:
    number = _require_number(field_name, value)
    inside = low <= number <= high if high_inclusive else low <= number < high
    if not inside:
        closing = "]" if high_inclusive else ")"
        raise ForecastInputError(f"{field_name}: must be in [{low}, {high}{closing}, got {value!r}")


def _require_non_negative(field_name: str, value: object) -> None:
    if _require_number(field_name, value) < 0:
        raise ForecastInputError(f"{field_name}: must be >= 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class SiteLocation:
    """Where the site is.

    Parameters
    ----------
    latitude_deg
        Latitude [deg], north positive, in [-90, 90].
    longitude_deg
        Longitude [deg], east positive, in [-180, 180].
    altitude_m
        Altitude above sea level [m], in [-500, 9000].
    timezone
        IANA time-zone name of the site's legal time, e.g. ``"Europe/Rome"``.
    """

    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    timezone: str

    def __post_init__(self) -> None:
        _require_range("latitude_deg", self.latitude_deg, -90.0, 90.0)
        _require_range("longitude_deg", self.longitude_deg, -180.0, 180.0)
        _require_range("altitude_m", self.altitude_m, -500.0, 9000.0)
        if not isinstance(self.timezone, str) or not self.timezone:
            raise ForecastInputError(f"timezone: must be an IANA time-zone name, got {self.timezone!r}")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ForecastInputError(f"timezone: unknown IANA time zone {self.timezone!r}") from exc


@dataclass(frozen=True, slots=True)
class PvArray:
    """One PV array: modules of one orientation behind their own inverter capacity.

    Parameters
    ----------
    name
        Name of the array in the site configuration.
    peak_power_kwp
        DC nameplate power at standard test conditions [kWp], > 0.
    tilt_deg
        Module tilt from horizontal [deg], in [0, 90].
    azimuth_deg
        Direction the modules face [deg], clockwise from north (180 = south), in [0, 360).
    losses_fraction
        DC system losses [-] (soiling, shading, mismatch, wiring, ageing, availability), in [0, 1);
        the PVWatts default of 0.14 does not include the inverter, which is modelled separately.
    """

    name: str
    peak_power_kwp: float
    tilt_deg: float
    azimuth_deg: float
    losses_fraction: float = 0.14

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ForecastInputError(f"name: a PV array needs a non-empty name, got {self.name!r}")
        if _require_number("peak_power_kwp", self.peak_power_kwp) <= 0:
            raise ForecastInputError(f"peak_power_kwp: must be > 0, got {self.peak_power_kwp!r}")
        _require_range("tilt_deg", self.tilt_deg, 0.0, 90.0)
        _require_range("azimuth_deg", self.azimuth_deg, 0.0, 360.0, high_inclusive=False)
        _require_range("losses_fraction", self.losses_fraction, 0.0, 1.0, high_inclusive=False)


@dataclass(frozen=True, slots=True)
class BaseLoadProfile:
    """Range of the site's own consumption (hub buildings and lighting), without the chargers.

    Parameters
    ----------
    min_kw
        Lowest load [kW], reached in the small hours, >= 0.
    max_kw
        Highest load [kW], reached on a working-day afternoon, >= ``min_kw``.
    """

    min_kw: float
    max_kw: float

    def __post_init__(self) -> None:
        _require_non_negative("min_kw", self.min_kw)
        _require_non_negative("max_kw", self.max_kw)
        if self.max_kw < self.min_kw:
            raise ForecastInputError(f"max_kw: must be >= min_kw ({self.min_kw!r}), got {self.max_kw!r}")


@dataclass(frozen=True, slots=True)
class TariffBands:
    """Italian time-of-use supply tariff (ARERA bands F1/F2/F3) and the export price.

    Parameters
    ----------
    f1_eur_per_kwh, f2_eur_per_kwh, f3_eur_per_kwh
        Import energy price in each band [EUR/kWh], >= 0, all-in (energy, network, taxes).
    export_eur_per_kwh
        Price paid for energy exported to the grid [EUR/kWh], >= 0, the same at all hours.
    capacity_charge_eur_per_kw_month
        Charge on the month's peak import power [EUR/kW/month], >= 0.
    """

    f1_eur_per_kwh: float
    f2_eur_per_kwh: float
    f3_eur_per_kwh: float
    export_eur_per_kwh: float
    capacity_charge_eur_per_kw_month: float

    def __post_init__(self) -> None:
        _require_non_negative("f1_eur_per_kwh", self.f1_eur_per_kwh)
        _require_non_negative("f2_eur_per_kwh", self.f2_eur_per_kwh)
        _require_non_negative("f3_eur_per_kwh", self.f3_eur_per_kwh)
        _require_non_negative("export_eur_per_kwh", self.export_eur_per_kwh)
        _require_non_negative("capacity_charge_eur_per_kw_month", self.capacity_charge_eur_per_kw_month)
