"""Reading forecast inputs from outside: CSV files and the Open-Meteo forecast API.

Everything that touches a disk or a socket in the forecasts package is here; what comes back is
checked and normalised once, as the pure forecasters expect it.

CSV format (UTF-8, comma-separated, one header row, blank lines ignored, other columns ignored):

* ``timestamp``: ISO 8601 with its UTC offset, e.g. ``2025-06-21T10:00:00Z`` or
  ``2025-06-21T12:00:00+02:00`` (converted to UTC); a time without an offset is refused rather than
  guessed. It is the start of the interval the row's values average over; an interval runs to the
  next row, at most one step (the median spacing) long. Rows strictly increasing in time.
* irradiance: ``ghi_w_m2`` (global horizontal, required), ``dni_w_m2`` and ``dhi_w_m2`` (direct
  normal and diffuse horizontal, both or neither), ``air_temperature_c`` (optional), all >= 0 but
  the temperature;
* PV power: ``pv_kw`` (AC output of all arrays, measured or forecast);
* base load: ``base_load_kw``;
* prices: ``eur_per_kwh`` (all-in import price; may be negative).

Open-Meteo (https://open-meteo.com, forecast API): hourly ``shortwave_radiation`` (GHI),
``direct_normal_irradiance``, ``diffuse_radiation`` and ``temperature_2m``, requested in GMT. Its
radiation values are means over the preceding hour, so the value stamped 11:00 covers 10:00-11:00.
"""

from __future__ import annotations

import csv
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.errors import ForecastInputError
from forecasts.irradiance import IrradianceSeries
from forecasts.prices import PriceSeries
from forecasts.series import interval_ends
from forecasts.site import SiteLocation

OPEN_METEO_FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
OPEN_METEO_HOURLY = ("shortwave_radiation", "direct_normal_irradiance", "diffuse_radiation", "temperature_2m")
_OPEN_METEO_COLUMNS = {
    "shortwave_radiation": "ghi_w_m2",
    "direct_normal_irradiance": "dni_w_m2",
    "diffuse_radiation": "dhi_w_m2",
    "temperature_2m": "air_temperature_c",
}
_IRRADIANCE_UNITS = ("W/m²", "W/m2", "W m-2")


class ForecastSourceError(ForecastInputError):
    """A file or a service gave nothing usable; the message names the source, place and field."""


def read_irradiance_csv(path: str | Path) -> IrradianceSeries:
    """Read an irradiance series from a CSV file (see the module doc for the format).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    IrradianceSeries
        Irradiance [W/m2] (and air temperature [degC] where given) by interval start.
    """
    table = _read_csv(path, required=("ghi_w_m2",), optional=("dni_w_m2", "dhi_w_m2", "air_temperature_c"))
    if ("dni_w_m2" in table) != ("dhi_w_m2" in table):
        raise ForecastSourceError(f"{path}: give both dni_w_m2 and dhi_w_m2 columns, or neither")
    for column in ("ghi_w_m2", "dni_w_m2", "dhi_w_m2"):
        _require_non_negative(path, table, column)
    return _irradiance(str(path), table)


def read_pv_csv(path: str | Path) -> pd.Series:
    """Read PV power [kW] by interval start from a CSV file with a ``pv_kw`` column.

    Small negative readings (inverter standby draw at night) are kept as measured; the forecasters
    count them as 0.
    """
    table = _read_csv(path, required=("pv_kw",))
    return table["pv_kw"].rename("pv_kw")


def read_load_csv(path: str | Path) -> pd.Series:
    """Read measured site base load [kW] by interval start from a CSV file with a ``base_load_kw`` column."""
    table = _read_csv(path, required=("base_load_kw",))
    _require_non_negative(path, table, "base_load_kw")
    return table["base_load_kw"].rename("base_load_kw")


def read_price_csv(path: str | Path) -> PriceSeries:
    """Read import prices [EUR/kWh] by interval start from a CSV file with an ``eur_per_kwh`` column."""
    table = _read_csv(path, required=("eur_per_kwh",))
    return PriceSeries(table["eur_per_kwh"])


@dataclass(frozen=True)
class CsvPriceProvider:
    """Prices from a CSV file, read again on every call so that a file updated daily is followed."""

    path: Path

    def import_prices(self, start_utc: datetime, end_utc: datetime) -> PriceSeries:
        """The file's prices for intervals overlapping ``[start_utc, end_utc)``."""
        prices = read_price_csv(self.path).import_eur_per_kwh
        return PriceSeries(_overlapping(str(self.path), prices, start_utc, end_utc))


@dataclass(frozen=True)
class CsvIrradianceProvider:
    """An irradiance forecast from a CSV file, read again on every call."""

    path: Path

    def irradiance(self, location: SiteLocation, start_utc: datetime, end_utc: datetime) -> IrradianceSeries:
        """The file's irradiance for intervals overlapping ``[start_utc, end_utc)``; ``location`` is not used."""
        series = read_irradiance_csv(self.path)
        ghi = _overlapping(str(self.path), series.ghi_w_m2, start_utc, end_utc)
        return IrradianceSeries(
            ghi_w_m2=ghi,
            dni_w_m2=None if series.dni_w_m2 is None else series.dni_w_m2.loc[ghi.index],
            dhi_w_m2=None if series.dhi_w_m2 is None else series.dhi_w_m2.loc[ghi.index],
            air_temperature_c=None if series.air_temperature_c is None else series.air_temperature_c.loc[ghi.index],
        )


@dataclass(frozen=True)
class OpenMeteoIrradianceProvider:
    """Hourly irradiance forecast from the Open-Meteo forecast API (no key needed).

    Parameters
    ----------
    base_url
        The forecast endpoint.
    timeout_s
        Time allowed to connect and for each read of the answer [s], > 0.

    The call blocks; call it from a worker thread, never on an event loop.
    """

    base_url: str = OPEN_METEO_FORECAST_URL
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.timeout_s) or self.timeout_s <= 0:
            raise ForecastInputError(f"timeout_s: must be finite and > 0, got {self.timeout_s}")
        if urllib.parse.urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ForecastInputError(f"base_url: must be an http(s) URL, got {self.base_url!r}")

    def irradiance(self, location: SiteLocation, start_utc: datetime, end_utc: datetime) -> IrradianceSeries:
        """Fetch and parse the forecast for ``[start_utc, end_utc)``."""
        url = open_meteo_url(self.base_url, location, start_utc, end_utc)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise ForecastSourceError(f"open-meteo: HTTP {exc.code} from {url}: {_reason(exc.read())}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ForecastSourceError(f"open-meteo: no answer from {url}: {exc}") from exc
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ForecastSourceError(f"open-meteo: the answer from {url} is not JSON: {exc}") from exc
        return parse_open_meteo(payload)


def open_meteo_url(base_url: str, location: SiteLocation, start_utc: datetime, end_utc: datetime) -> str:
    """The forecast request covering ``[start_utc, end_utc)`` in whole hours (GMT)."""
    start = _utc("start_utc", start_utc).floor("h")
    # A value stamped T covers the hour before T: the last hour needed is stamped at its end.
    end = _utc("end_utc", end_utc).ceil("h")
    if end <= start:
        raise ForecastInputError(f"end_utc: must be after start_utc, got {end_utc} <= {start_utc}")
    query = {
        "latitude": f"{location.latitude_deg:.4f}",
        "longitude": f"{location.longitude_deg:.4f}",
        "elevation": f"{location.altitude_m:.0f}",
        "hourly": ",".join(OPEN_METEO_HOURLY),
        "timezone": "GMT",
        "start_hour": (start + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end_hour": end.strftime("%Y-%m-%dT%H:%M"),
    }
    return f"{base_url}?{urllib.parse.urlencode(query, safe=',:')}"


def parse_open_meteo(payload: object) -> IrradianceSeries:
    """Turn an Open-Meteo forecast answer (parsed JSON) into an irradiance series.

    Hours where the global irradiance, or any other variable present, is null are left out.

    Raises
    ------
    ForecastSourceError
        Naming the missing or malformed field.
    """
    if not isinstance(payload, Mapping):
        raise ForecastSourceError(f"open-meteo: expected a JSON object, got {type(payload).__name__}")
    if payload.get("error"):
        raise ForecastSourceError(f"open-meteo: error: {payload.get('reason', 'no reason given')}")
    hourly = payload.get("hourly")
    if not isinstance(hourly, Mapping):
        raise ForecastSourceError("open-meteo: hourly: missing or not an object")
    units = payload.get("hourly_units", {})
    times = _open_meteo_times(hourly.get("time"), payload.get("utc_offset_seconds", 0))
    columns: dict[str, np.ndarray] = {}
    for variable, column in _OPEN_METEO_COLUMNS.items():
        if variable not in hourly:
            continue
        unit = units.get(variable) if isinstance(units, Mapping) else None
        if column != "air_temperature_c" and unit is not None and unit not in _IRRADIANCE_UNITS:
            raise ForecastSourceError(f"open-meteo: hourly_units.{variable}: expected W/m², got {unit!r}")
        columns[column] = _open_meteo_values(variable, hourly[variable], len(times))
    if "ghi_w_m2" not in columns:
        raise ForecastSourceError("open-meteo: hourly.shortwave_radiation: missing")
    if ("dni_w_m2" in columns) != ("dhi_w_m2" in columns):
        raise ForecastSourceError("open-meteo: hourly: give both direct_normal_irradiance and diffuse_radiation")
    complete = np.logical_and.reduce([np.isfinite(values) for values in columns.values()])
    if not complete.any():
        raise ForecastSourceError("open-meteo: hourly: no hour with every variable present")
    # Stamped at the end of the hour they average: intervals start an hour earlier.
    starts = times[complete] - pd.Timedelta(hours=1)
    table = pd.DataFrame({name: values[complete] for name, values in columns.items()}, index=starts)
    for column in ("ghi_w_m2", "dni_w_m2", "dhi_w_m2"):
        if column in table and bool((table[column] < 0).any()):
            raise ForecastSourceError(f"open-meteo: {column}: negative irradiance")
    return _irradiance("open-meteo", table)


def _open_meteo_times(raw: object, offset: object) -> pd.DatetimeIndex:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) == 0:
        raise ForecastSourceError("open-meteo: hourly.time: missing or empty")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise ForecastSourceError(f"open-meteo: utc_offset_seconds: must be an integer, got {offset!r}")
    try:
        if all(isinstance(value, int) and not isinstance(value, bool) for value in raw):
            times = pd.to_datetime(list(raw), unit="s", utc=True)
        else:
            local = pd.to_datetime(list(raw), format="%Y-%m-%dT%H:%M")
            times = (local - pd.Timedelta(seconds=offset)).tz_localize("UTC")
    except (ValueError, TypeError) as exc:
        raise ForecastSourceError(f"open-meteo: hourly.time: unreadable time: {exc}") from exc
    index = pd.DatetimeIndex(times).as_unit("ns")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ForecastSourceError("open-meteo: hourly.time: times must be strictly increasing")
    return index


def _open_meteo_values(variable: str, raw: object, length: int) -> np.ndarray:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != length:
        raise ForecastSourceError(f"open-meteo: hourly.{variable}: must be a list as long as hourly.time ({length})")
    values = np.full(length, np.nan)
    for position, value in enumerate(raw):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ForecastSourceError(f"open-meteo: hourly.{variable}[{position}]: not a number: {value!r}")
        values[position] = float(value)
    return values


def _reason(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body[:200].decode("utf-8", errors="replace")
    if isinstance(answer, Mapping) and "reason" in answer:
        return str(answer["reason"])
    return str(answer)[:200]


def _irradiance(source: str, table: pd.DataFrame) -> IrradianceSeries:
    try:
        return IrradianceSeries(
            ghi_w_m2=table["ghi_w_m2"],
            dni_w_m2=table.get("dni_w_m2"),
            dhi_w_m2=table.get("dhi_w_m2"),
            air_temperature_c=table.get("air_temperature_c"),
        )
    except ForecastInputError as exc:
        raise ForecastSourceError(f"{source}: {exc}") from exc


def _read_csv(path: str | Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> pd.DataFrame:
    """Rows of a CSV file in the module's format: the wanted columns as floats, by UTC timestamp."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastSourceError(f"{path}: cannot be read: {exc}") from exc
    if not rows:
        raise ForecastSourceError(f"{path}: the file is empty")
    header = [name.strip() for name in rows[0]]
    for column in ("timestamp", *required):
        if column not in header:
            raise ForecastSourceError(f"{path}: line 1: no {column} column (columns: {', '.join(header)})")
    wanted = [column for column in (*required, *optional) if column in header]
    positions = {column: header.index(column) for column in ("timestamp", *wanted)}
    stamps: list[pd.Timestamp] = []
    values: dict[str, list[float]] = {column: [] for column in wanted}
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ForecastSourceError(f"{path}: line {line_number}: {len(row)} fields, the header has {len(header)}")
        stamp = _timestamp(path, line_number, row[positions["timestamp"]])
        if stamps and stamp <= stamps[-1]:
            raise ForecastSourceError(
                f"{path}: line {line_number}: timestamp: {stamp} is not after the previous row's {stamps[-1]}"
            )
        stamps.append(stamp)
        for column in wanted:
            values[column].append(_number(path, line_number, column, row[positions[column]]))
    if not stamps:
        raise ForecastSourceError(f"{path}: no data rows")
    index = pd.DatetimeIndex(stamps).as_unit("ns")
    return pd.DataFrame({column: np.asarray(values[column]) for column in wanted}, index=index)


def _timestamp(path: str | Path, line_number: int, text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text.strip())
    except ValueError as exc:
        raise ForecastSourceError(f"{path}: line {line_number}: timestamp: not ISO 8601: {text!r}") from exc
    if pd.isna(stamp):
        raise ForecastSourceError(f"{path}: line {line_number}: timestamp: empty")
    if stamp.tzinfo is None:
        raise ForecastSourceError(
            f"{path}: line {line_number}: timestamp: {text.strip()!r} has no UTC offset (write Z or +00:00)"
        )
    return stamp.tz_convert("UTC")


def _number(path: str | Path, line_number: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise ForecastSourceError(f"{path}: line {line_number}: {column}: not a number: {text!r}") from exc
    if not math.isfinite(value):
        raise ForecastSourceError(f"{path}: line {line_number}: {column}: not a finite number: {text!r}")
    return value


def _require_non_negative(path: str | Path, table: pd.DataFrame, column: str) -> None:
    if column not in table:
        return
    negative = np.flatnonzero(table[column].to_numpy() < 0)
    if negative.size:
        first = table.index[int(negative[0])]
        raise ForecastSourceError(f"{path}: {column}: negative value {table[column].iloc[negative[0]]} at {first}")


def _overlapping(source: str, series: pd.Series, start_utc: datetime, end_utc: datetime) -> pd.Series:
    start = _utc("start_utc", start_utc)
    end = _utc("end_utc", end_utc)
    # An interval that began before start_utc but still runs then covers the window's first minutes.
    index = pd.DatetimeIndex(series.index)
    selected = series[(interval_ends(index) > start) & (index < end)]
    if len(selected) == 0:
        raise ForecastSourceError(f"{source}: no values between {start} and {end}")
    return selected


def _utc(field_name: str, when: datetime) -> pd.Timestamp:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ForecastInputError(f"{field_name}: must be a timezone-aware datetime, got {when!r}")
    return pd.Timestamp(when).tz_convert("UTC")
