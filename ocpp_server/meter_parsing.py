"""OCPP 1.6 meterValue / sampledValue lists -> MeterSample in kWh, kW, A, V, % and UTC.

Pure: the caller passes ``now`` and the power bound, and logs what was dropped. The input is the
payload as the ``ocpp`` library hands it to a handler, i.e. with snake_case keys
(``sampled_value``), after schema validation.

What is kept: Raw (unsigned) samples of the measurands in ``MEASURANDS``, measured at the outlet
(or with no location given; SoC also from the EV, where the spec puts it), per phase when the
charger says so. What is dropped as impossible: non-numbers, NaN and infinities, negative imports,
a state of charge outside 0-100 %, power above the bound, and any timestamp too far in the future
(a charger clock that is wrong would otherwise place energy in slots that have not happened yet).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocpp_server.errors import InvalidPayloadError
from ocpp_server.events import Measurand, MeterSample
from ocpp_server.timestamps import parse_utc_timestamp, require_utc

DEFAULT_FUTURE_TOLERANCE_S = 300.0

MEASURANDS: Mapping[str, Measurand] = {
    "Energy.Active.Import.Register": Measurand.ENERGY_IMPORT_KWH,
    "Power.Active.Import": Measurand.POWER_IMPORT_KW,
    "Current.Import": Measurand.CURRENT_IMPORT_A,
    "Voltage": Measurand.VOLTAGE_V,
    "SoC": Measurand.SOC_PERCENT,
    "Power.Offered": Measurand.POWER_OFFERED_KW,
    "Current.Offered": Measurand.CURRENT_OFFERED_A,
}
"""OCPP 1.6 measurand name -> normalised measurand. Others are ignored."""

_DEFAULT_MEASURAND = "Energy.Active.Import.Register"

_SCALE_TO_NORMALISED: Mapping[Measurand, Mapping[str, float]] = {
    Measurand.ENERGY_IMPORT_KWH: {"Wh": 0.001, "kWh": 1.0},
    Measurand.POWER_IMPORT_KW: {"W": 0.001, "kW": 1.0},
    Measurand.POWER_OFFERED_KW: {"W": 0.001, "kW": 1.0},
    Measurand.CURRENT_IMPORT_A: {"A": 1.0},
    Measurand.CURRENT_OFFERED_A: {"A": 1.0},
    Measurand.VOLTAGE_V: {"V": 1.0},
    Measurand.SOC_PERCENT: {"Percent": 1.0},
}
"""Accepted units per measurand and the factor to the unit in the measurand's name."""

_DEFAULT_UNIT: Mapping[Measurand, str] = {
    Measurand.ENERGY_IMPORT_KWH: "Wh",
    Measurand.POWER_IMPORT_KW: "W",
    Measurand.POWER_OFFERED_KW: "W",
    Measurand.CURRENT_IMPORT_A: "A",
    Measurand.CURRENT_OFFERED_A: "A",
    Measurand.VOLTAGE_V: "V",
    Measurand.SOC_PERCENT: "Percent",
}

_POWER_MEASURANDS = frozenset({Measurand.POWER_IMPORT_KW, Measurand.POWER_OFFERED_KW})


@dataclass(frozen=True, slots=True)
class ParsedMeterValues:
    samples: tuple[MeterSample, ...]
    dropped: tuple[str, ...] = ()
    """One reason per sampled value rejected as impossible or stale; worth a warning."""
    ignored: int = 0
    """Sampled values outside what the edge reports (other measurands, signed data, other
    locations); normal traffic, not an error."""


def parse_wh(value_wh: float, field: str) -> float:
    """Convert a transaction's meter register reading [Wh] (meterStart, meterStop) to [kWh].

    Any finite reading is converted, negative ones too: StartTransaction and StopTransaction are
    never refused for their values (chargers without a meter send -1), so the application gets
    the reading as sent and flags what does not add up.

    Raises
    ------
    InvalidPayloadError
        If the reading is not finite (the schema's integer rules that out; this is the last guard).
    """
    if not math.isfinite(value_wh):
        raise InvalidPayloadError(f"{field}: {value_wh!r} Wh is not a meter reading")
    return value_wh / 1000.0


def parse_meter_values(
    meter_values: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    max_power_kw: float,
    future_tolerance_s: float = DEFAULT_FUTURE_TOLERANCE_S,
) -> ParsedMeterValues:
    """Normalise a list of OCPP 1.6 MeterValue objects.

    Parameters
    ----------
    meter_values
        ``meter_value`` of MeterValues or ``transaction_data`` of StopTransaction, snake_case keys.
    now
        Current time (tz-aware) against which future timestamps are judged.
    max_power_kw
        Power [kW] above which a power sample is physically impossible for this charger.
    future_tolerance_s
        How far ahead of ``now`` [s] a timestamp may be before its samples are dropped.

    Returns
    -------
    ParsedMeterValues
        The kept samples in the order received, and why the others were dropped.
    """
    latest_allowed = require_utc(now, "now") + timedelta(seconds=future_tolerance_s)
    samples: list[MeterSample] = []
    dropped: list[str] = []
    ignored = 0
    for index, meter_value in enumerate(meter_values):
        sampled_values: Sequence[Mapping[str, Any]] = meter_value.get("sampled_value", ())
        try:
            measured_at = parse_utc_timestamp(meter_value.get("timestamp", ""), "timestamp")
        except InvalidPayloadError as error:
            dropped.extend(f"meterValue[{index}]: {error}" for _ in sampled_values)
            continue
        if measured_at > latest_allowed:
            reason = f"meterValue[{index}]: timestamp {measured_at.isoformat()} is in the future"
            dropped.extend(reason for _ in sampled_values)
            continue
        for sample_index, sampled_value in enumerate(sampled_values):
            where = f"meterValue[{index}].sampledValue[{sample_index}]"
            if not _in_scope(sampled_value):
                ignored += 1
                continue
            outcome = _parse_sampled_value(sampled_value, measured_at, max_power_kw)
            if isinstance(outcome, MeterSample):
                samples.append(outcome)
            else:
                dropped.append(f"{where}: {outcome}")
    return ParsedMeterValues(samples=tuple(samples), dropped=tuple(dropped), ignored=ignored)


def _in_scope(sampled_value: Mapping[str, Any]) -> bool:
    measurand_name = sampled_value.get("measurand", _DEFAULT_MEASURAND)
    if measurand_name not in MEASURANDS:
        return False
    if sampled_value.get("format", "Raw") != "Raw":
        return False
    location = sampled_value.get("location", "Outlet")
    return bool(location == "Outlet" or (location == "EV" and measurand_name == "SoC"))


def _parse_sampled_value(
    sampled_value: Mapping[str, Any], measured_at: datetime, max_power_kw: float
) -> MeterSample | str:
    """The normalised sample, or the reason it is dropped."""
    measurand = MEASURANDS[sampled_value.get("measurand", _DEFAULT_MEASURAND)]
    unit = sampled_value.get("unit", _DEFAULT_UNIT[measurand])
    scale = _SCALE_TO_NORMALISED[measurand].get(unit)
    if scale is None:
        return f"unit {unit!r} does not fit {measurand.value}"
    raw = sampled_value.get("value")
    try:
        number = float(raw) if isinstance(raw, str | int | float) else math.nan
    except ValueError:
        return f"value {raw!r} is not a number"
    if not math.isfinite(number):
        return f"value {raw!r} is not a finite number"
    value = number * scale
    if value < 0:
        return f"negative {measurand.value} {value}"
    if measurand is Measurand.SOC_PERCENT and value > 100:
        return f"state of charge {value} % above 100 %"
    if measurand in _POWER_MEASURANDS and value > max_power_kw:
        return f"{measurand.value} {value} above the plausible {max_power_kw} kW"
    return MeterSample(measurand=measurand, value=value, measured_at=measured_at, phase=sampled_value.get("phase"))
