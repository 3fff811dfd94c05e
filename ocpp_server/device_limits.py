"""What an OCPP 2.0.1 charger's device model says about talking to it and limiting it, typed.

The values the central system needs before it sends GetVariables, SetVariables or a charging
profile, read from a ``DeviceModel``'s Actual values (strings). As with 1.6 configuration keys
(``capabilities``), a variable that is missing or unreadable leaves its field None (not known) and is
named in ``problems`` when it was present but unreadable.

Variable names are the standardized ones of OCPP 2.0.1 (its referenced component variables): the
charging rate units are SmartChargingCtrlr.RateUnit (referred to as ChargingScheduleChargingRateUnit)
and the stack level SmartChargingCtrlr.ProfileStackLevel; chargers that write the referenced names
as variable names are read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocpp_server.commands import RateUnit
from ocpp_server.device_model import DeviceModel

DEVICE_DATA_CTRLR = "DeviceDataCtrlr"
SMART_CHARGING_CTRLR = "SmartChargingCtrlr"
SAMPLED_DATA_CTRLR = "SampledDataCtrlr"
ISO15118_CTRLR = "ISO15118Ctrlr"

_LIST_SEPARATORS = re.compile(r"[,;\s]+")
_RATE_UNITS = {"a": RateUnit.AMPS, "w": RateUnit.WATTS}
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class ChargerLimits201:
    """A 2.0.1 charger's reported limits; None means not reported (or unreadable).

    Attributes
    ----------
    items_per_get_variables, bytes_per_get_variables
        DeviceDataCtrlr.ItemsPerMessage / BytesPerMessage, instance GetVariables [-], [bytes].
    items_per_set_variables, bytes_per_set_variables
        The same, instance SetVariables.
    rate_units
        SmartChargingCtrlr.RateUnit: the units a charging schedule may be written in.
    periods_per_schedule
        SmartChargingCtrlr.PeriodsPerSchedule: the most periods one schedule may have [-].
    profile_stack_level
        SmartChargingCtrlr.ProfileStackLevel: the highest stack level [-].
    smart_charging_enabled
        SmartChargingCtrlr.Enabled.
    tx_updated_interval_s
        SampledDataCtrlr.TxUpdatedInterval [s]; 0 sends no periodic meter values in a transaction.
    tx_updated_measurands
        SampledDataCtrlr.TxUpdatedMeasurands, in the charger's order.
    iso15118
        Whether the charger reported an ISO15118Ctrlr component (any variable, any EVSE).
    problems
        Variables present with a value that could not be read, each with the value.
    """

    items_per_get_variables: int | None = None
    bytes_per_get_variables: int | None = None
    items_per_set_variables: int | None = None
    bytes_per_set_variables: int | None = None
    rate_units: frozenset[RateUnit] | None = None
    periods_per_schedule: int | None = None
    profile_stack_level: int | None = None
    smart_charging_enabled: bool | None = None
    tx_updated_interval_s: int | None = None
    tx_updated_measurands: tuple[str, ...] | None = None
    iso15118: bool = False
    problems: tuple[str, ...] = ()


def charger_limits(model: DeviceModel) -> ChargerLimits201:
    """Read the limits from the Actual values of ``model`` (station-wide components, no EVSE)."""
    problems: list[str] = []

    def text(component: str, *names: str, instance: str | None = None) -> tuple[str, str] | None:
        for name in names:
            value = model.actual(component, name, variable_instance=instance)
            if value is not None and value.strip():
                return f"{component}.{name}" + ("" if instance is None else f"[{instance}]"), value.strip()
        return None

    def whole(component: str, *names: str, minimum: int, instance: str | None = None) -> int | None:
        found = text(component, *names, instance=instance)
        if found is None:
            return None
        where, value = found
        try:
            # Some firmware writes integers as "5.0".
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number.is_integer() or number < minimum:
            problems.append(f"{where}={value!r}")
            return None
        return int(number)

    def flag(component: str, name: str) -> bool | None:
        found = text(component, name)
        if found is None:
            return None
        where, value = found
        if value.lower() not in _BOOLEANS:
            problems.append(f"{where}={value!r}")
            return None
        return _BOOLEANS[value.lower()]

    def units() -> frozenset[RateUnit] | None:
        found = text(SMART_CHARGING_CTRLR, "RateUnit", "ChargingScheduleChargingRateUnit")
        if found is None:
            return None
        where, value = found
        words = [w for w in _LIST_SEPARATORS.split(value.lower()) if w]
        if not words or any(w not in _RATE_UNITS for w in words):
            problems.append(f"{where}={value!r}")
            return None
        return frozenset(_RATE_UNITS[w] for w in words)

    measurands = text(SAMPLED_DATA_CTRLR, "TxUpdatedMeasurands")
    return ChargerLimits201(
        items_per_get_variables=whole(DEVICE_DATA_CTRLR, "ItemsPerMessage", minimum=1, instance="GetVariables"),
        bytes_per_get_variables=whole(DEVICE_DATA_CTRLR, "BytesPerMessage", minimum=1, instance="GetVariables"),
        items_per_set_variables=whole(DEVICE_DATA_CTRLR, "ItemsPerMessage", minimum=1, instance="SetVariables"),
        bytes_per_set_variables=whole(DEVICE_DATA_CTRLR, "BytesPerMessage", minimum=1, instance="SetVariables"),
        rate_units=units(),
        periods_per_schedule=whole(SMART_CHARGING_CTRLR, "PeriodsPerSchedule", minimum=1),
        profile_stack_level=whole(SMART_CHARGING_CTRLR, "ProfileStackLevel", "ChargingProfileMaxStackLevel", minimum=0),
        smart_charging_enabled=flag(SMART_CHARGING_CTRLR, "Enabled"),
        tx_updated_interval_s=whole(SAMPLED_DATA_CTRLR, "TxUpdatedInterval", minimum=0),
        tx_updated_measurands=None if measurands is None else _list_items(measurands[1]),
        iso15118=model.has_component(ISO15118_CTRLR),
        problems=tuple(problems),
    )


def _list_items(value: str) -> tuple[str, ...]:
    # Lists are comma-separated in 2.0.1; tolerate the spaces and semicolons some firmware writes.
    return tuple(item for item in _LIST_SEPARATORS.split(value) if item)
