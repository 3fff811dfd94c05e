"""OCPP 2.0.1 meterValue lists in the form ``meter_parsing`` reads (OCPP 1.6's), so that both
versions' samples go through the same checks.

2.0.1 sends each value as a number with an optional ``unitOfMeasure`` {unit, multiplier}, where 1.6
sends a string and a unit: the value is scaled by 10^multiplier here and handed on as text. A
signed value (``signedMeterValue``) still carries its plain reading in ``value``, so it is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ENERGY_REGISTER = "Energy.Active.Import.Register"


def as_v16_meter_values(meter_values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``meter_value`` of a 2.0.1 TransactionEvent or MeterValues (snake_case) in 1.6 form."""
    return [
        {
            "timestamp": meter_value.get("timestamp", ""),
            "sampled_value": [_as_v16_sample(sample) for sample in meter_value.get("sampled_value", ())],
        }
        for meter_value in meter_values
    ]


def _as_v16_sample(sample: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for key in ("measurand", "phase", "location", "context"):
        if sample.get(key) is not None:
            converted[key] = sample[key]
    value = sample.get("value")
    unit_of_measure = sample.get("unit_of_measure") or {}
    multiplier = unit_of_measure.get("multiplier", 0)
    if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(multiplier, int):
        converted["value"] = repr(float(value) * 10.0**multiplier)
    else:
        converted["value"] = value
    if unit_of_measure.get("unit") is not None:
        converted["unit"] = unit_of_measure["unit"]
    return converted


def energy_register_kwh(meter_values: Sequence[Mapping[str, Any]]) -> float | None:
    """The last whole-connector energy register reading [kWh] in 2.0.1 ``meter_value``, if any."""
    reading: float | None = None
    for meter_value in meter_values:
        for sample in meter_value.get("sampled_value", ()):
            measurand = sample.get("measurand", ENERGY_REGISTER)
            if measurand != ENERGY_REGISTER or sample.get("phase") is not None:
                continue
            value = sample.get("value")
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            unit_of_measure = sample.get("unit_of_measure") or {}
            scale_to_kwh = 1.0 if unit_of_measure.get("unit") == "kWh" else 0.001
            reading = float(value) * 10.0 ** unit_of_measure.get("multiplier", 0) * scale_to_kwh
    return reading
