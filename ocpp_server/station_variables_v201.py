"""The variables of a 2.0.1 station's device model that smart charging depends on, and how they read
in the terms of a 1.6 charger's configuration (``ChargerCapabilities``).

``ProfileChannelV201`` asks for them with GetVariables after an accepted boot and takes them from a
complete NotifyReport; both end up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp_server.capabilities import SMART_CHARGING, ChargerCapabilities
from ocpp_server.device_limits import ChargerLimits201
from ocpp_server.device_model import DeviceModel


@dataclass(frozen=True, slots=True)
class Variable:
    component: str
    name: str
    instance: str | None = None

    @property
    def key(self) -> str:
        """How the variable is shown with a charger's configuration."""
        suffix = "" if self.instance is None else f"[{self.instance}]"
        return f"{self.component}.{self.name}{suffix}"

    def wire(self) -> dict[str, Any]:
        variable: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            variable["instance"] = self.instance
        return {"component": {"name": self.component}, "variable": variable}


SMART_CHARGING_ENABLED = Variable("SmartChargingCtrlr", "Enabled")
RATE_UNIT = Variable("SmartChargingCtrlr", "RateUnit")
PERIODS_PER_SCHEDULE = Variable("SmartChargingCtrlr", "PeriodsPerSchedule")
PROFILE_STACK_LEVEL = Variable("SmartChargingCtrlr", "ProfileStackLevel")
ITEMS_PER_GET = Variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")
BYTES_PER_GET = Variable("DeviceDataCtrlr", "BytesPerMessage", "GetVariables")
ITEMS_PER_SET = Variable("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables")
BYTES_PER_SET = Variable("DeviceDataCtrlr", "BytesPerMessage", "SetVariables")
TX_UPDATED_INTERVAL = Variable("SampledDataCtrlr", "TxUpdatedInterval")
TX_UPDATED_MEASURANDS_VARIABLE = Variable("SampledDataCtrlr", "TxUpdatedMeasurands")

LIMIT_VARIABLES = (ITEMS_PER_GET, BYTES_PER_GET, ITEMS_PER_SET, BYTES_PER_SET)
"""Read first, alone: they say how the rest may be asked for."""

CAPABILITY_VARIABLES = (
    SMART_CHARGING_ENABLED,
    RATE_UNIT,
    PERIODS_PER_SCHEDULE,
    PROFILE_STACK_LEVEL,
    TX_UPDATED_INTERVAL,
    TX_UPDATED_MEASURANDS_VARIABLE,
)


def capabilities_of(limits: ChargerLimits201, read_at: datetime) -> ChargerCapabilities:
    """A 2.0.1 station's limits in the terms of a 1.6 charger's configuration, so that profiles are
    fitted to either the same way (``profile_checks``)."""
    enabled = limits.smart_charging_enabled
    return ChargerCapabilities(
        read_at=read_at,
        feature_profiles=None if enabled is None else frozenset({"Core", SMART_CHARGING} if enabled else {"Core"}),
        max_stack_level=limits.profile_stack_level,
        allowed_rate_units=limits.rate_units,
        max_schedule_periods=limits.periods_per_schedule,
        meter_value_sample_interval_s=limits.tx_updated_interval_s,
        problems=limits.problems,
    )


def configuration_of(model: DeviceModel) -> dict[str, str | None]:
    """Every reported variable's Actual value, keyed ``Component[instance]@evse.connector.Variable[instance]``;
    None for a variable without one (write-only, such as passwords)."""
    configuration: dict[str, str | None] = {}
    for reported in model.variables_by_key.values():
        key = reported.key
        component = key.component + (f"[{key.component_instance}]" if key.component_instance else "")
        if key.evse_id is not None:
            component += f"@{key.evse_id}" + (f".{key.connector_id}" if key.connector_id is not None else "")
        variable = key.variable + (f"[{key.variable_instance}]" if key.variable_instance else "")
        attribute = reported.attribute()
        configuration[f"{component}.{variable}"] = None if attribute is None else attribute.value
    return dict(sorted(configuration.items()))
