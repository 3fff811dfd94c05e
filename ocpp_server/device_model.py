"""The central system's picture of an OCPP 2.0.1 charger's device model, built from its reports.

A 2.0.1 charger describes itself as components (SmartChargingCtrlr, EVSE 1, ...) holding variables
(PeriodsPerSchedule, ...), each with up to four attributes (Actual, Target, MinSet, MaxSet). It sends
that picture in NotifyReport parts, after a GetBaseReport or GetReport, numbered by ``seqNo`` from 0
and flagged ``tbc`` (to be continued) on all but the last; parts may arrive in any order. The
``NotifyReportAssembler`` collects the parts of each request and builds a frozen ``DeviceModel``
once none is missing; later GetVariables answers give a new model with their values.

Component and variable names are matched without regard to case: chargers differ in how they write
them ("SmartChargingCtrlr", "SmartchargingCtrlr"), and a missed match would silently drop a limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ocpp_server.errors import InvalidPayloadError
from ocpp_server.keys import snake_to_camel_keys
from ocpp_server.timestamps import parse_utc_timestamp

ACTUAL = "Actual"
"""The attribute type a variable attribute has when the charger names none."""

ACCEPTED = "Accepted"


@dataclass(frozen=True, slots=True)
class VariableKey:
    """Where a variable lives: component (with instance and EVSE/connector) and variable (with instance)."""

    component: str
    variable: str
    component_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str | None = None

    def normalised(self) -> VariableKey:
        """The key with names and instances in one case, as the model indexes them."""
        return VariableKey(
            component=self.component.casefold(),
            variable=self.variable.casefold(),
            component_instance=None if self.component_instance is None else self.component_instance.casefold(),
            evse_id=self.evse_id,
            connector_id=self.connector_id,
            variable_instance=None if self.variable_instance is None else self.variable_instance.casefold(),
        )


@dataclass(frozen=True, slots=True)
class VariableAttribute:
    type: str = ACTUAL
    """Actual, Target, MinSet or MaxSet."""
    value: str | None = None
    """None when the charger sent no value (a WriteOnly attribute, for example)."""
    mutability: str | None = None
    persistent: bool = False
    constant: bool = False


@dataclass(frozen=True, slots=True)
class VariableCharacteristics:
    data_type: str
    supports_monitoring: bool
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None


@dataclass(frozen=True, slots=True)
class ReportedVariable:
    key: VariableKey
    """As the charger wrote it."""
    attributes: tuple[VariableAttribute, ...]
    characteristics: VariableCharacteristics | None = None

    def attribute(self, attribute_type: str = ACTUAL) -> VariableAttribute | None:
        return next((a for a in self.attributes if a.type == attribute_type), None)


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """A charger's reported variables, looked up by ``VariableKey`` (any case)."""

    variables_by_key: Mapping[VariableKey, ReportedVariable] = field(default_factory=lambda: MappingProxyType({}))
    """Indexed by ``VariableKey.normalised()``; read-only."""
    generated_at: datetime | None = None
    """When the charger generated the report (its first part) [UTC]."""

    @classmethod
    def from_variables(cls, variables: Iterable[ReportedVariable], generated_at: datetime | None = None) -> DeviceModel:
        """A model of ``variables``; a later variable with the same key replaces an earlier one."""
        index = {variable.key.normalised(): variable for variable in variables}
        return cls(MappingProxyType(index), generated_at)

    def __len__(self) -> int:
        return len(self.variables_by_key)

    def get(self, key: VariableKey) -> ReportedVariable | None:
        return self.variables_by_key.get(key.normalised())

    def actual(
        self,
        component: str,
        variable: str,
        *,
        component_instance: str | None = None,
        evse_id: int | None = None,
        connector_id: int | None = None,
        variable_instance: str | None = None,
    ) -> str | None:
        """The Actual value of one variable; None if it was not reported or has no value."""
        key = VariableKey(component, variable, component_instance, evse_id, connector_id, variable_instance)
        reported = self.get(key)
        attribute = None if reported is None else reported.attribute(ACTUAL)
        return None if attribute is None else attribute.value

    def has_component(self, component: str) -> bool:
        """Whether any variable of ``component`` (any instance, any EVSE) was reported."""
        name = component.casefold()
        return any(key.component == name for key in self.variables_by_key)

    def with_get_variables_results(self, results: Iterable[Mapping[str, Any]]) -> DeviceModel:
        """A new model with the values of the Accepted ``getVariableResult`` entries.

        Entries not Accepted (Rejected, UnknownComponent, ...) carry no value and change nothing.
        """
        index = dict(self.variables_by_key)
        for entry in results:
            result = snake_to_camel_keys(dict(entry))
            if result.get("attributeStatus") != ACCEPTED:
                continue
            key = _variable_key(result["component"], result["variable"])
            attribute_type = result.get("attributeType") or ACTUAL
            value = result.get("attributeValue")
            known = index.get(key.normalised())
            if known is None:
                index[key.normalised()] = ReportedVariable(key, (VariableAttribute(attribute_type, value),))
                continue
            previous = known.attribute(attribute_type) or VariableAttribute(attribute_type)
            updated = VariableAttribute(
                attribute_type, value, previous.mutability, previous.persistent, previous.constant
            )
            others = tuple(a for a in known.attributes if a.type != attribute_type)
            index[key.normalised()] = ReportedVariable(known.key, (*others, updated), known.characteristics)
        return DeviceModel(MappingProxyType(index), self.generated_at)


class IncompleteReportError(Exception):
    """A report was asked for before all of its parts arrived."""


@dataclass(frozen=True, slots=True)
class ReportProgress:
    """How far the parts of one report (one requestId) have arrived."""

    request_id: int
    received: tuple[int, ...]
    """The seqNo of every part received, in order."""
    last_seq_no: int | None
    """The seqNo of the part sent with tbc false; None until it arrives."""

    @property
    def missing(self) -> tuple[int, ...]:
        """The seqNo of every part known to be missing: before the last part, or below one received."""
        highest = self.last_seq_no if self.last_seq_no is not None else max(self.received, default=-1)
        have = set(self.received)
        return tuple(n for n in range(highest + 1) if n not in have)

    @property
    def complete(self) -> bool:
        return self.last_seq_no is not None and not self.missing


@dataclass(frozen=True, slots=True)
class _Part:
    seq_no: int
    tbc: bool
    generated_at: datetime
    report_data: tuple[ReportedVariable, ...]


class NotifyReportAssembler:
    """Collects NotifyReport parts per requestId until a report is whole; one per charger connection."""

    def __init__(self) -> None:
        self._parts: dict[int, dict[int, _Part]] = {}

    def add(self, request: Mapping[str, Any]) -> ReportProgress:
        """Keep one NotifyReportRequest (camelCase or snake_case keys) and say how far its report is.

        A part received again (same seqNo) replaces the earlier copy: a charger repeats a message
        whose answer it did not get.

        Raises
        ------
        InvalidPayloadError
            If a part contradicts the others: a second last part, or a part after the last one.
        """
        payload = snake_to_camel_keys(dict(request))
        request_id = payload["requestId"]
        seq_no = payload["seqNo"]
        if seq_no < 0:
            raise InvalidPayloadError(f"seqNo must be >= 0, got {seq_no}")
        part = _Part(
            seq_no=seq_no,
            tbc=bool(payload.get("tbc", False)),
            generated_at=parse_utc_timestamp(payload["generatedAt"], "generatedAt"),
            report_data=tuple(_reported_variable(entry) for entry in payload.get("reportData") or ()),
        )
        parts = self._parts.setdefault(request_id, {})
        others = [p for p in parts.values() if p.seq_no != seq_no]
        last = next((p.seq_no for p in others if not p.tbc), None)
        if not part.tbc and last is not None:
            raise InvalidPayloadError(f"report {request_id}: seqNo {seq_no} and {last} both say they are the last")
        if not part.tbc and any(p.seq_no > seq_no for p in others):
            raise InvalidPayloadError(f"report {request_id}: a part follows the last part, seqNo {seq_no}")
        if last is not None and seq_no > last:
            raise InvalidPayloadError(f"report {request_id}: seqNo {seq_no} follows the last part, seqNo {last}")
        parts[seq_no] = part
        return self._progress(request_id, parts)

    def progress(self, request_id: int) -> ReportProgress | None:
        parts = self._parts.get(request_id)
        return None if parts is None else self._progress(request_id, parts)

    def take(self, request_id: int) -> DeviceModel:
        """The device model of a complete report; its parts are forgotten.

        Raises
        ------
        IncompleteReportError
            If parts are missing (``progress`` says which) or none arrived.
        """
        progress = self.progress(request_id)
        if progress is None or not progress.complete:
            missing = "no part" if progress is None else f"missing seqNo {list(progress.missing) or 'last'}"
            raise IncompleteReportError(f"report {request_id} is not complete: {missing}")
        parts = self._parts.pop(request_id)
        ordered = [parts[n] for n in sorted(parts)]
        variables = [variable for part in ordered for variable in part.report_data]
        return DeviceModel.from_variables(variables, generated_at=ordered[0].generated_at)

    def discard(self, request_id: int) -> None:
        """Forget a report that will not be completed (the charger disconnected, a timeout)."""
        self._parts.pop(request_id, None)

    @staticmethod
    def _progress(request_id: int, parts: Mapping[int, _Part]) -> ReportProgress:
        last = next((p.seq_no for p in parts.values() if not p.tbc), None)
        return ReportProgress(request_id, tuple(sorted(parts)), last)


def _variable_key(component: Mapping[str, Any], variable: Mapping[str, Any]) -> VariableKey:
    evse = component.get("evse") or {}
    return VariableKey(
        component=component["name"],
        variable=variable["name"],
        component_instance=component.get("instance"),
        evse_id=evse.get("id"),
        connector_id=evse.get("connectorId"),
        variable_instance=variable.get("instance"),
    )


def _reported_variable(entry: Mapping[str, Any]) -> ReportedVariable:
    attributes = tuple(
        VariableAttribute(
            type=a.get("type") or ACTUAL,
            value=a.get("value"),
            mutability=a.get("mutability"),
            persistent=bool(a.get("persistent", False)),
            constant=bool(a.get("constant", False)),
        )
        for a in entry["variableAttribute"]
    )
    characteristics = entry.get("variableCharacteristics")
    return ReportedVariable(
        key=_variable_key(entry["component"], entry["variable"]),
        attributes=attributes,
        characteristics=None if characteristics is None else _characteristics(characteristics),
    )


def _characteristics(fields: Mapping[str, Any]) -> VariableCharacteristics:
    return VariableCharacteristics(
        data_type=fields["dataType"],
        supports_monitoring=bool(fields["supportsMonitoring"]),
        unit=fields.get("unit"),
        min_limit=fields.get("minLimit"),
        max_limit=fields.get("maxLimit"),
        values_list=fields.get("valuesList"),
    )
