"""Reading forecast inputs: the CSV formats and the Open-Meteo provider over a loopback HTTP server."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasts import PvArray, SiteLocation, irradiance_pv_kw, pv_forecast_kw, slot_grid
from forecasts.sources import (
    CsvIrradianceProvider,
    CsvPriceProvider,
    ForecastSourceError,
    OpenMeteoIrradianceProvider,
    open_meteo_url,
    parse_open_meteo,
    read_irradiance_csv,
    read_load_csv,
    read_price_csv,
    read_pv_csv,
)

MILAN = SiteLocation(latitude_deg=45.445, longitude_deg=9.205, altitude_m=120.0, timezone="Europe/Rome")
ROOFS = PvArray(name="roofs", peak_power_kwp=250.0, tilt_deg=15.0, azimuth_deg=180.0)

# An Open-Meteo forecast answer in the API's format, written by hand for a partly cloudy 21 June 2025
# in Milan (GMT, radiation as the mean of the preceding hour; the last temperature missing).
_GHI = [0, 0, 0, 0, 0, 35, 160, 330, 490, 630, 740, 800, 820, 790, 700, 580, 430, 270, 120, 20, 0, 0, 0, 0]
_DNI = [0, 0, 0, 0, 0, 110, 420, 580, 680, 740, 780, 800, 805, 790, 760, 700, 610, 470, 280, 40, 0, 0, 0, 0]
_DHI = [0, 0, 0, 0, 0, 25, 70, 100, 120, 135, 145, 150, 155, 150, 140, 130, 115, 95, 60, 15, 0, 0, 0, 0]
_TEMPERATURE: list[float | None] = [
    19.8,
    19.1,
    18.6,
    18.2,
    18.0,
    18.4,
    19.9,
    21.6,
    23.3,
    24.9,
    26.2,
    27.4,
    28.3,
    29.0,
    29.4,
    29.5,
]
_TEMPERATURE += [29.2, 28.5, 27.4, 26.0, 24.6, 23.3, 22.2, None]
OPEN_METEO_ANSWER = {
    "latitude": 45.44,
    "longitude": 9.2,
    "generationtime_ms": 0.0619,
    "utc_offset_seconds": 0,
    "timezone": "GMT",
    "timezone_abbreviation": "GMT",
    "elevation": 120.0,
    "hourly_units": {
        "time": "iso8601",
        "shortwave_radiation": "W/m²",
        "direct_normal_irradiance": "W/m²",
        "diffuse_radiation": "W/m²",
        "temperature_2m": "°C",
    },
    "hourly": {
        "time": [f"2025-06-21T{hour:02d}:00" for hour in range(24)],
        "shortwave_radiation": _GHI,
        "direct_normal_irradiance": _DNI,
        "diffuse_radiation": _DHI,
        "temperature_2m": _TEMPERATURE,
    },
}


class _Recorder:
    """What the loopback server answers, and the paths it was asked for."""

    def __init__(self) -> None:
        self.status = 200
        self.body = json.dumps(OPEN_METEO_ANSWER).encode()
        self.paths: list[str] = []


@pytest.fixture
def open_meteo() -> Iterator[tuple[str, _Recorder]]:
    """A real HTTP server on 127.0.0.1 answering like the Open-Meteo forecast endpoint."""
    recorder = _Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.paths.append(self.path)
            self.send_response(recorder.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(recorder.body)))
            self.end_headers()
            self.wfile.write(recorder.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/forecast", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_open_meteo_forecast_over_http(open_meteo: tuple[str, _Recorder]) -> None:
    url, recorder = open_meteo
    provider = OpenMeteoIrradianceProvider(base_url=url, timeout_s=5.0)

    series = provider.irradiance(MILAN, datetime(2025, 6, 21, 0, tzinfo=UTC), datetime(2025, 6, 22, tzinfo=UTC))

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(recorder.paths[0]).query)
    assert query["latitude"] == ["45.4450"]
    assert query["longitude"] == ["9.2050"]
    assert query["hourly"] == ["shortwave_radiation,direct_normal_irradiance,diffuse_radiation,temperature_2m"]
    assert query["timezone"] == ["GMT"]
    assert query["start_hour"] == ["2025-06-21T01:00"]
    assert query["end_hour"] == ["2025-06-22T00:00"]
    # The value stamped 12:00 is the mean of 11:00-12:00; the hour with no temperature is dropped.
    assert len(series.ghi_w_m2) == 23
    assert series.index[0] == pd.Timestamp("2025-06-20 23:00+00:00")
    assert series.ghi_w_m2[pd.Timestamp("2025-06-21 11:00+00:00")] == 820.0
    assert series.dni_w_m2 is not None
    assert series.dni_w_m2[pd.Timestamp("2025-06-21 11:00+00:00")] == 805.0
    assert series.dhi_w_m2 is not None
    assert series.dhi_w_m2[pd.Timestamp("2025-06-21 11:00+00:00")] == 155.0
    assert series.air_temperature_c is not None
    assert series.air_temperature_c[pd.Timestamp("2025-06-21 11:00+00:00")] == 28.3


def test_the_weather_forecast_drives_the_pv_forecast(open_meteo: tuple[str, _Recorder]) -> None:
    url, _ = open_meteo
    now = datetime(2025, 6, 21, 6, tzinfo=UTC)
    series = OpenMeteoIrradianceProvider(base_url=url).irradiance(MILAN, now, datetime(2025, 6, 22, tzinfo=UTC))
    starts, ends = slot_grid(now, 16.0, 60)

    forecast = pv_forecast_kw(
        [ROOFS], MILAN, starts, ends, now=now, measured_pv_kw=None, history_pv_kw=None, irradiance=series
    )

    expected = irradiance_pv_kw([ROOFS], MILAN, series, starts, ends)
    assert forecast["p50_kw"].to_numpy() == pytest.approx(expected.to_numpy())
    # 820 W/m2 global at midday in June on a 215 kW (AC) roof.
    assert 150.0 < forecast["p50_kw"][pd.Timestamp("2025-06-21 11:00+00:00")] < 215.0
    assert forecast["p50_kw"][pd.Timestamp("2025-06-21 20:00+00:00")] == 0.0


def test_an_open_meteo_error_names_the_reason(open_meteo: tuple[str, _Recorder]) -> None:
    url, recorder = open_meteo
    recorder.status = 400
    recorder.body = json.dumps({"error": True, "reason": "Parameter 'start_hour' is out of range"}).encode()
    provider = OpenMeteoIrradianceProvider(base_url=url)

    with pytest.raises(ForecastSourceError, match=r"HTTP 400 .*start_hour' is out of range"):
        provider.irradiance(MILAN, datetime(2025, 6, 21, tzinfo=UTC), datetime(2025, 6, 22, tzinfo=UTC))


def test_an_answer_that_is_not_json_is_an_error(open_meteo: tuple[str, _Recorder]) -> None:
    url, recorder = open_meteo
    recorder.body = b"<html>maintenance</html>"

    with pytest.raises(ForecastSourceError, match="is not JSON"):
        OpenMeteoIrradianceProvider(base_url=url).irradiance(
            MILAN, datetime(2025, 6, 21, tzinfo=UTC), datetime(2025, 6, 22, tzinfo=UTC)
        )


def test_a_closed_port_is_an_error() -> None:
    # Bind, note the port, close: nothing listens there any more.
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    provider = OpenMeteoIrradianceProvider(base_url=f"http://127.0.0.1:{port}/v1/forecast", timeout_s=2.0)

    with pytest.raises(ForecastSourceError, match="no answer from"):
        provider.irradiance(MILAN, datetime(2025, 6, 21, tzinfo=UTC), datetime(2025, 6, 22, tzinfo=UTC))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda answer: answer["hourly"].pop("shortwave_radiation"), "hourly.shortwave_radiation: missing"),
        (lambda answer: answer["hourly"]["diffuse_radiation"].pop(), r"hourly.diffuse_radiation: must be a list"),
        (lambda answer: answer["hourly"].pop("diffuse_radiation"), "give both direct_normal_irradiance"),
        (lambda answer: answer["hourly_units"].update(shortwave_radiation="MJ/m²"), "expected W/m²"),
        (lambda answer: answer["hourly"]["time"].__setitem__(3, "yesterday"), "hourly.time: unreadable"),
        (lambda answer: answer["hourly"]["shortwave_radiation"].__setitem__(9, "x"), r"shortwave_radiation\[9\]"),
        (lambda answer: answer["hourly"]["shortwave_radiation"].__setitem__(9, -5), "negative irradiance"),
        (lambda answer: answer.pop("hourly"), "hourly: missing"),
    ],
)
def test_malformed_open_meteo_answers_name_the_field(change: object, message: str) -> None:
    answer = json.loads(json.dumps(OPEN_METEO_ANSWER))
    assert callable(change)
    change(answer)

    with pytest.raises(ForecastSourceError, match=message):
        parse_open_meteo(answer)


def test_unix_times_and_a_utc_offset_are_understood() -> None:
    answer = json.loads(json.dumps(OPEN_METEO_ANSWER))
    answer["hourly"]["time"] = [int(pd.Timestamp(f"2025-06-21 {hour:02d}:00+00:00").timestamp()) for hour in range(24)]
    in_rome = json.loads(json.dumps(OPEN_METEO_ANSWER))
    in_rome["utc_offset_seconds"] = 7200

    assert parse_open_meteo(answer).index[0] == pd.Timestamp("2025-06-20 23:00+00:00")
    assert parse_open_meteo(in_rome).index[0] == pd.Timestamp("2025-06-20 21:00+00:00")


def test_the_request_covers_whole_hours() -> None:
    url = open_meteo_url(
        "https://api.open-meteo.com/v1/forecast",
        MILAN,
        datetime(2025, 6, 21, 10, 7, tzinfo=UTC),
        datetime(2025, 6, 21, 12, 30, tzinfo=UTC),
    )

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["start_hour"] == ["2025-06-21T11:00"]  # the hour 10:00-11:00
    assert query["end_hour"] == ["2025-06-21T13:00"]  # the hour 12:00-13:00


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_irradiance_csv_with_offsets_blank_lines_and_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "weather.csv",
        "timestamp,ghi_w_m2,dni_w_m2,dhi_w_m2,air_temperature_c,source\n"
        "2025-06-21T10:00:00Z,700,750,140,26.5,nwp\n"
        "\n"
        "2025-06-21T13:00:00+02:00,760,780,145,27.0,nwp\n",
    )

    series = read_irradiance_csv(path)

    assert series.index.tolist() == [pd.Timestamp("2025-06-21 10:00+00:00"), pd.Timestamp("2025-06-21 11:00+00:00")]
    assert series.ghi_w_m2.tolist() == [700.0, 760.0]
    assert series.dhi_w_m2 is not None
    assert series.dhi_w_m2.tolist() == [140.0, 145.0]
    assert series.air_temperature_c is not None
    assert series.air_temperature_c.tolist() == [26.5, 27.0]


def test_power_price_and_load_csvs(tmp_path: Path) -> None:
    pv = read_pv_csv(write(tmp_path / "pv.csv", "timestamp,pv_kw\n2025-06-21T10:00Z,120.5\n2025-06-21T10:15Z,-0.2\n"))
    load = read_load_csv(write(tmp_path / "load.csv", "timestamp,base_load_kw\n2025-06-21T10:00Z,64\n"))
    prices = read_price_csv(write(tmp_path / "prices.csv", "timestamp,eur_per_kwh\n2025-06-21T10:00Z,0.1321\n"))

    assert pv.name == "pv_kw"
    assert pv.tolist() == [120.5, -0.2]  # the standby draw is kept as measured
    assert load.tolist() == [64.0]
    assert prices.import_eur_per_kwh.tolist() == [0.1321]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("timestamp,ghi_w_m2\n", "no data rows"),
        ("time,ghi_w_m2\n2025-06-21T10:00Z,1\n", "line 1: no timestamp column"),
        ("timestamp,ghi\n2025-06-21T10:00Z,1\n", "line 1: no ghi_w_m2 column"),
        ("timestamp,ghi_w_m2\n2025-06-21T10:00,1\n", "line 2: timestamp: '2025-06-21T10:00' has no UTC offset"),
        ("timestamp,ghi_w_m2\nsoon,1\n", "line 2: timestamp: not ISO 8601"),
        ("timestamp,ghi_w_m2\n2025-06-21T10:00Z,bright\n", "line 2: ghi_w_m2: not a number: 'bright'"),
        ("timestamp,ghi_w_m2\n2025-06-21T10:00Z,nan\n", "line 2: ghi_w_m2: not a finite number"),
        ("timestamp,ghi_w_m2\n2025-06-21T10:00Z\n", "line 2: 1 fields, the header has 2"),
        (
            "timestamp,ghi_w_m2\n2025-06-21T11:00Z,1\n2025-06-21T10:00Z,2\n",
            "line 3: timestamp: 2025-06-21 10:00:00\\+00:00 is not after",
        ),
        ("timestamp,ghi_w_m2\n2025-06-21T10:00Z,-3\n", "ghi_w_m2: negative value -3.0"),
        ("timestamp,ghi_w_m2,dni_w_m2\n2025-06-21T10:00Z,1,2\n", "give both dni_w_m2 and dhi_w_m2"),
    ],
)
def test_csv_format_errors_name_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "weather.csv", text)

    with pytest.raises(ForecastSourceError, match=message) as raised:
        read_irradiance_csv(path)
    assert str(path) in str(raised.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ForecastSourceError, match="cannot be read"):
        read_price_csv(tmp_path / "absent.csv")


def test_csv_providers_return_the_window_asked_for(tmp_path: Path) -> None:
    hours = pd.date_range("2025-06-21 00:00", periods=48, freq="h", tz="UTC")
    rows = "".join(f"{stamp.isoformat()},{0.10 + 0.001 * i:.3f}\n" for i, stamp in enumerate(hours))
    prices = CsvPriceProvider(write(tmp_path / "prices.csv", "timestamp,eur_per_kwh\n" + rows))
    weather_rows = "".join(f"{stamp.isoformat()},{100 + i}\n" for i, stamp in enumerate(hours))
    weather = CsvIrradianceProvider(write(tmp_path / "weather.csv", "timestamp,ghi_w_m2\n" + weather_rows))
    start = datetime(2025, 6, 21, 10, 30, tzinfo=UTC)
    end = datetime(2025, 6, 21, 14, tzinfo=UTC)

    window = prices.import_prices(start, end).import_eur_per_kwh
    irradiance = weather.irradiance(MILAN, start, end)

    # The hour already running at 10:30 is kept: it prices the first half hour.
    assert window.index[0] == pd.Timestamp("2025-06-21 10:00+00:00")
    assert window.index[-1] == pd.Timestamp("2025-06-21 13:00+00:00")
    assert window.to_numpy() == pytest.approx(np.array([0.110, 0.111, 0.112, 0.113]))
    assert irradiance.ghi_w_m2.tolist() == [110.0, 111.0, 112.0, 113.0]
    with pytest.raises(ForecastSourceError, match="no values between"):
        prices.import_prices(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
