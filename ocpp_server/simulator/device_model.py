"""The OCPP 2.0.1 device model of a simulated charge point (GetVariables, SetVariables, base reports).

A small set of the standardised components and variables (OCPP 2.0.1 part 2, appendix 3): what
the central system needs to plan for the charger (smart-charging capacities, rate unit, message
limits) and the intervals it may tune. Variables the simulator acts on are writable and shared
with the charger's configuration store (the heartbeat and meter intervals); the others describe
fixed capabilities and are read-only. Only the Actual attribute exists. The basic-auth password is
kept but not used: the simulated chargers connect without security (profile 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.config import HEARTBEAT_INTERVAL, METER_VALUE_SAMPLE_INTERVAL, ConfigStore

DataType = Literal["string", "integer", "boolean", "MemberList"]
Mutability = Literal["ReadOnly", "ReadWrite", "WriteOnly"]
VariableKey = tuple[str, str | None, str, str | None]
"""(component name, component instance, variable name, variable instance)."""

ITEMS_PER_MESSAGE = 20
BYTES_PER_MESSAGE = 8192
SUPPORTED_MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "SoC")


@dataclass(frozen=True, slots=True)
class Variable:
    component: str
    name: str
    data_type: DataType
    mutability: Mutability
    instance: str | None = None
    min_limit: int | None = None
    max_limit: int | None = None
    values_list: tuple[str, ...] = ()
    """For a MemberList: the members it may hold."""
    unit: str | None = None

    @property
    def key(self) -> VariableKey:
        return (self.component, None, self.name, self.instance)

    def accepts(self, value: str) -> bool:
        """Whether ``value`` is a valid value of this variable."""
        if self.data_type == "integer":
            try:
                number = int(value.strip())
            except ValueError:
                return False
            low = self.min_limit if self.min_limit is not None else -(2**31)
            high = self.max_limit if self.max_limit is not None else 2**31 - 1
            return low <= number <= high
        if self.data_type == "boolean":
            return value in ("true", "false")
        if self.data_type == "MemberList":
            members = [m.strip() for m in value.split(",")] if value.strip() else []
            return all(m in self.values_list for m in members)
        low = self.min_limit or 0
        high = self.max_limit or 2500
        return low <= len(value) <= high

    def characteristics(self) -> dict[str, Any]:
        """The VariableCharacteristicsType of a NotifyReport entry."""
        out: dict[str, Any] = {"dataType": self.data_type, "supportsMonitoring": False}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.data_type == "integer" and self.min_limit is not None:
            out["minLimit"] = self.min_limit
        if self.max_limit is not None:
            out["maxLimit"] = self.max_limit
        if self.values_list:
            out["valuesList"] = ",".join(self.values_list)
        return out


def _component(data: Mapping[str, Any]) -> tuple[str, str | None]:
    return str(data.get("name", "")), data.get("instance")


def _variable(data: Mapping[str, Any]) -> tuple[str, str | None]:
    return str(data.get("name", "")), data.get("instance")


class DeviceModel:
    """The variables of one simulated charge point and their Actual values.

    Parameters
    ----------
    spec
        The charger: smart-charging capacities and rate unit, ISO 15118 support.
    config
        The configuration store the heartbeat and meter intervals are kept in.
    installed_profiles
        How many charging profiles are installed now.
    """

    def __init__(self, spec: SimChargerSpec, config: ConfigStore, installed_profiles: Callable[[], int]) -> None:
        self._config = config
        variables = [
            Variable("SmartChargingCtrlr", "Enabled", "boolean", "ReadOnly"),
            Variable("SmartChargingCtrlr", "Available", "boolean", "ReadOnly"),
            Variable("SmartChargingCtrlr", "RateUnit", "MemberList", "ReadOnly", values_list=("A", "W")),
            Variable("SmartChargingCtrlr", "PeriodsPerSchedule", "integer", "ReadOnly", min_limit=1),
            Variable("SmartChargingCtrlr", "ProfileStackLevel", "integer", "ReadOnly", min_limit=0),
            Variable(
                "SmartChargingCtrlr",
                "Entries",
                "integer",
                "ReadOnly",
                instance="ChargingProfiles",
                min_limit=0,
                max_limit=spec.max_installed_profiles,
            ),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "integer", "ReadOnly", instance="GetVariables"),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "integer", "ReadOnly", instance="SetVariables"),
            Variable("DeviceDataCtrlr", "BytesPerMessage", "integer", "ReadOnly", instance="GetVariables"),
            Variable("DeviceDataCtrlr", "BytesPerMessage", "integer", "ReadOnly", instance="SetVariables"),
            Variable(
                "SampledDataCtrlr", "TxUpdatedInterval", "integer", "ReadWrite", min_limit=0, max_limit=86_400, unit="s"
            ),
            Variable(
                "SampledDataCtrlr", "TxUpdatedMeasurands", "MemberList", "ReadWrite", values_list=SUPPORTED_MEASURANDS
            ),
            # Clock-aligned meter values are not sampled: 0 says so, and it cannot be changed.
            Variable("AlignedDataCtrlr", "Interval", "integer", "ReadOnly", min_limit=0, unit="s"),
            Variable("SecurityCtrlr", "BasicAuthPassword", "string", "WriteOnly", min_limit=16, max_limit=40),
            Variable(
                "OCPPCommCtrlr", "HeartbeatInterval", "integer", "ReadWrite", min_limit=0, max_limit=86_400, unit="s"
            ),
        ]
        values: dict[VariableKey, str] = {
            ("SmartChargingCtrlr", None, "Enabled", None): "true",
            ("SmartChargingCtrlr", None, "Available", None): "true",
            ("SmartChargingCtrlr", None, "RateUnit", None): spec.rate_unit,
            ("SmartChargingCtrlr", None, "PeriodsPerSchedule", None): str(spec.max_schedule_periods),
            ("SmartChargingCtrlr", None, "ProfileStackLevel", None): str(spec.max_stack_level),
            ("DeviceDataCtrlr", None, "ItemsPerMessage", "GetVariables"): str(ITEMS_PER_MESSAGE),
            ("DeviceDataCtrlr", None, "ItemsPerMessage", "SetVariables"): str(ITEMS_PER_MESSAGE),
            ("DeviceDataCtrlr", None, "BytesPerMessage", "GetVariables"): str(BYTES_PER_MESSAGE),
            ("DeviceDataCtrlr", None, "BytesPerMessage", "SetVariables"): str(BYTES_PER_MESSAGE),
            ("SampledDataCtrlr", None, "TxUpdatedMeasurands", None): ",".join(
                m for m in SUPPORTED_MEASURANDS if m != "Current.Import" or spec.kind == "AC"
            ),
            ("AlignedDataCtrlr", None, "Interval", None): "0",
            ("SecurityCtrlr", None, "BasicAuthPassword", None): "",
        }
        if spec.speaks_iso15118:
            variables += [
                Variable("ISO15118Ctrlr", "Enabled", "boolean", "ReadOnly"),
                Variable("ISO15118Ctrlr", "PnCEnabled", "boolean", "ReadOnly"),
                Variable("ISO15118Ctrlr", "SeccId", "string", "ReadOnly"),
                Variable("ISO15118Ctrlr", "MaxScheduleEntries", "integer", "ReadOnly", min_limit=1),
                Variable("ISO15118Ctrlr", "RequestedEnergyTransferMode", "string", "ReadOnly"),
            ]
            values |= {
                ("ISO15118Ctrlr", None, "Enabled", None): "true",
                ("ISO15118Ctrlr", None, "PnCEnabled", None): "true",
                ("ISO15118Ctrlr", None, "SeccId", None): spec.charge_point_id,
                ("ISO15118Ctrlr", None, "MaxScheduleEntries", None): str(spec.max_schedule_periods),
                ("ISO15118Ctrlr", None, "RequestedEnergyTransferMode", None): "DC",
            }
        self._variables = {v.key: v for v in variables}
        self._values = values
        self._live: dict[VariableKey, Callable[[], str]] = {
            ("SmartChargingCtrlr", None, "Entries", "ChargingProfiles"): lambda: str(installed_profiles()),
            ("SampledDataCtrlr", None, "TxUpdatedInterval", None): lambda: str(
                config.int_value(METER_VALUE_SAMPLE_INTERVAL)
            ),
            ("OCPPCommCtrlr", None, "HeartbeatInterval", None): lambda: str(config.int_value(HEARTBEAT_INTERVAL)),
        }
        self._config_keys: dict[VariableKey, str] = {
            ("SampledDataCtrlr", None, "TxUpdatedInterval", None): METER_VALUE_SAMPLE_INTERVAL,
            ("OCPPCommCtrlr", None, "HeartbeatInterval", None): HEARTBEAT_INTERVAL,
        }
        self._components = {v.component for v in variables}

    def _find(self, component: Mapping[str, Any], variable: Mapping[str, Any]) -> Variable | str:
        """The variable, or the status saying why there is none."""
        component_name, component_instance = _component(component)
        if component_name not in self._components or component_instance is not None:
            return "UnknownComponent"
        name, instance = _variable(variable)
        found = self._variables.get((component_name, None, name, instance))
        return "UnknownVariable" if found is None else found

    def _value(self, variable: Variable) -> str:
        live = self._live.get(variable.key)
        return live() if live is not None else self._values[variable.key]

    def get(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """One GetVariableResultType (camelCase) for one GetVariableDataType (snake_case)."""
        component, variable = request["component"], request["variable"]
        result: dict[str, Any] = {"component": _wire(component), "variable": _wire(variable)}
        attribute_type = request.get("attribute_type") or "Actual"
        found = self._find(component, variable)
        if isinstance(found, str):
            return result | {"attributeStatus": found}
        if attribute_type != "Actual":
            return result | {"attributeStatus": "NotSupportedAttributeType", "attributeType": attribute_type}
        if found.mutability == "WriteOnly":
            return result | {"attributeStatus": "Rejected", "attributeType": "Actual"}
        return result | {"attributeStatus": "Accepted", "attributeType": "Actual", "attributeValue": self._value(found)}

    def set(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """One SetVariableResultType (camelCase) for one SetVariableDataType (snake_case)."""
        component, variable = request["component"], request["variable"]
        result: dict[str, Any] = {"component": _wire(component), "variable": _wire(variable)}
        attribute_type = request.get("attribute_type") or "Actual"
        found = self._find(component, variable)
        if isinstance(found, str):
            return result | {"attributeStatus": found}
        result["attributeType"] = attribute_type
        if attribute_type != "Actual":
            return result | {"attributeStatus": "NotSupportedAttributeType"}
        value = str(request.get("attribute_value", ""))
        if found.mutability == "ReadOnly" or not found.accepts(value):
            return result | {"attributeStatus": "Rejected"}
        config_key = self._config_keys.get(found.key)
        if config_key is not None:
            self._config.set_int(config_key, int(value.strip()))
        else:
            self._values[found.key] = value
        return result | {"attributeStatus": "Accepted"}

    def report(self, base: str) -> list[dict[str, Any]]:
        """ReportDataType entries (camelCase) for GetBaseReport; SummaryInventory has none here
        (it lists problems and availability, and this charger reports its availability by status)."""
        if base == "SummaryInventory":
            return []
        entries = []
        for variable in self._variables.values():
            if base == "ConfigurationInventory" and variable.mutability == "ReadOnly":
                continue
            attribute: dict[str, Any] = {"type": "Actual", "mutability": variable.mutability}
            if variable.mutability != "WriteOnly":
                attribute["value"] = self._value(variable)
            component_name, _, name, instance = variable.key
            wire_variable = {"name": name} | ({} if instance is None else {"instance": instance})
            entries.append(
                {
                    "component": {"name": component_name},
                    "variable": wire_variable,
                    "variableAttribute": [attribute],
                    "variableCharacteristics": variable.characteristics(),
                }
            )
        return entries

    def tx_updated_measurands(self) -> tuple[str, ...]:
        value = self._values[("SampledDataCtrlr", None, "TxUpdatedMeasurands", None)]
        return tuple(m.strip() for m in value.split(",") if m.strip())


def _wire(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ComponentType or VariableType as received, back in camelCase (evse.connector_id)."""
    out: dict[str, Any] = {"name": data.get("name", "")}
    if data.get("instance") is not None:
        out["instance"] = data["instance"]
    evse = data.get("evse")
    if isinstance(evse, Mapping):
        out["evse"] = {"id": evse.get("id")} | (
            {} if evse.get("connector_id") is None else {"connectorId": evse["connector_id"]}
        )
    return out
