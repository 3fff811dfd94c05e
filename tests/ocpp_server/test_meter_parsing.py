"""OCPP 1.6 sampled values normalised to kWh, kW, A, V, % and UTC; impossible ones dropped."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ocpp_server.errors import InvalidPayloadError
from ocpp_server.events import Measurand, MeterSample
from ocpp_server.meter_parsing import parse_meter_values, parse_wh

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
AT = "2025-06-02T09:59:00Z"
AT_UTC = datetime(2025, 6, 2, 9, 59, tzinfo=UTC)


def one(*sampled: dict[str, Any], timestamp: str = AT) -> list[dict[str, Any]]:
    return [{"timestamp": timestamp, "sampled_value": list(sampled)}]


def parse(meter_values: list[dict[str, Any]], max_power_kw: float = 33.0) -> list[MeterSample]:
    return list(parse_meter_values(meter_values, now=NOW, max_power_kw=max_power_kw).samples)


def test_a_bare_value_is_the_energy_register_in_wh() -> None:
    assert parse(one({"value": "12345"})) == [MeterSample(Measurand.ENERGY_IMPORT_KWH, 12.345, AT_UTC)]


@pytest.mark.parametrize(
    ("sampled", "measurand", "value"),
    [
        ({"value": "12.5", "unit": "kWh"}, Measurand.ENERGY_IMPORT_KWH, 12.5),
        ({"value": "7400", "measurand": "Power.Active.Import"}, Measurand.POWER_IMPORT_KW, 7.4),
        ({"value": "7400", "measurand": "Power.Active.Import", "unit": "W"}, Measurand.POWER_IMPORT_KW, 7.4),
        ({"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"}, Measurand.POWER_IMPORT_KW, 7.4),
        ({"value": "11000", "measurand": "Power.Offered"}, Measurand.POWER_OFFERED_KW, 11.0),
        ({"value": "16", "measurand": "Current.Offered", "unit": "A"}, Measurand.CURRENT_OFFERED_A, 16.0),
        ({"value": "229.5", "measurand": "Voltage", "unit": "V"}, Measurand.VOLTAGE_V, 229.5),
        ({"value": "35", "measurand": "SoC", "unit": "Percent"}, Measurand.SOC_PERCENT, 35.0),
        ({"value": "35", "measurand": "SoC", "location": "EV"}, Measurand.SOC_PERCENT, 35.0),
        (
            {"value": "1", "measurand": "Energy.Active.Import.Register", "format": "Raw"},
            Measurand.ENERGY_IMPORT_KWH,
            0.001,
        ),
        ({"value": "1", "location": "Outlet"}, Measurand.ENERGY_IMPORT_KWH, 0.001),
    ],
)
def test_units_are_scaled_to_the_unit_in_the_measurand(
    sampled: dict[str, Any], measurand: Measurand, value: float
) -> None:
    (sample,) = parse(one(sampled))
    assert sample.measurand is measurand
    assert sample.value == pytest.approx(value)


def test_per_phase_values_keep_their_phase() -> None:
    samples = parse(
        one(
            {"value": "15.9", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "15.8", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
            {"value": "231", "measurand": "Voltage", "unit": "V", "phase": "L3-N"},
        )
    )
    assert [(s.measurand, s.value, s.phase) for s in samples] == [
        (Measurand.CURRENT_IMPORT_A, 15.9, "L1"),
        (Measurand.CURRENT_IMPORT_A, 15.8, "L2"),
        (Measurand.VOLTAGE_V, 231.0, "L3-N"),
    ]


def test_timestamps_with_an_offset_or_without_a_zone_become_utc() -> None:
    samples = parse(
        [
            {"timestamp": "2025-06-02T11:59:00+02:00", "sampled_value": [{"value": "1000"}]},
            {"timestamp": "2025-06-02T09:59:00", "sampled_value": [{"value": "2000"}]},
        ]
    )
    assert [s.measured_at for s in samples] == [AT_UTC, AT_UTC]


def test_out_of_scope_values_are_ignored_not_dropped() -> None:
    parsed = parse_meter_values(
        one(
            {"value": "abcd", "format": "SignedData"},
            {"value": "1000", "location": "Inlet"},
            {"value": "80", "measurand": "SoC", "location": "Body"},
            {"value": "1000", "location": "EV"},
            {"value": "31", "measurand": "Temperature", "unit": "Celsius"},
            {"value": "500", "measurand": "Energy.Active.Export.Register"},
        ),
        now=NOW,
        max_power_kw=33.0,
    )
    assert parsed.samples == ()
    assert parsed.dropped == ()
    assert parsed.ignored == 6


@pytest.mark.parametrize(
    "sampled",
    [
        {"value": "NaN"},
        {"value": "Infinity"},
        {"value": "twelve"},
        {"value": "-5"},
        {"value": "-100", "measurand": "Power.Active.Import"},
        {"value": "120", "measurand": "SoC"},
        {"value": "40", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "1000", "unit": "W"},
        {"value": "10", "measurand": "Voltage", "unit": "kV"},
    ],
)
def test_impossible_values_are_dropped_with_a_reason(sampled: dict[str, Any]) -> None:
    parsed = parse_meter_values(one(sampled, {"value": "1000"}), now=NOW, max_power_kw=33.0)

    assert parsed.samples == (MeterSample(Measurand.ENERGY_IMPORT_KWH, 1.0, AT_UTC),)
    assert len(parsed.dropped) == 1
    assert parsed.dropped[0].startswith("meterValue[0].sampledValue[0]: ")


def test_timestamps_more_than_five_minutes_ahead_drop_their_samples() -> None:
    four_min_ahead = (NOW + timedelta(minutes=4)).isoformat()
    six_min_ahead = (NOW + timedelta(minutes=6)).isoformat()
    parsed = parse_meter_values(
        [
            {"timestamp": four_min_ahead, "sampled_value": [{"value": "1000"}]},
            {"timestamp": six_min_ahead, "sampled_value": [{"value": "2000"}, {"value": "3", "unit": "kWh"}]},
        ],
        now=NOW,
        max_power_kw=33.0,
    )
    assert [s.value for s in parsed.samples] == [1.0]
    assert len(parsed.dropped) == 2
    assert "in the future" in parsed.dropped[0]


def test_an_unreadable_timestamp_drops_its_samples_only() -> None:
    parsed = parse_meter_values(
        [
            {"timestamp": "yesterday", "sampled_value": [{"value": "1000"}]},
            {"timestamp": AT, "sampled_value": [{"value": "2000"}]},
        ],
        now=NOW,
        max_power_kw=33.0,
    )
    assert [s.value for s in parsed.samples] == [2.0]
    assert parsed.dropped == ("meterValue[0]: timestamp: 'yesterday' is not an ISO-8601 date and time",)


def test_meter_register_readings_in_wh_become_kwh_whatever_their_sign() -> None:
    assert parse_wh(12345, "meterStart") == 12.345
    assert parse_wh(-1, "meterStart") == -0.001
    with pytest.raises(InvalidPayloadError, match="meterStop"):
        parse_wh(math.inf, "meterStop")
