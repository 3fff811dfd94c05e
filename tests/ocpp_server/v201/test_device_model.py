"""A 2.0.1 charger's device model: NotifyReport parts assembled, limits read, requests split to fit."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.commands import RateUnit
from ocpp_server.device_limits import ChargerLimits201, charger_limits
from ocpp_server.device_model import (
    DeviceModel,
    IncompleteReportError,
    NotifyReportAssembler,
    ReportProgress,
    VariableAttribute,
    VariableCharacteristics,
    VariableKey,
)
from ocpp_server.errors import InvalidPayloadError
from ocpp_server.message_batches import MessageTooLargeError, batches, call_frame_encoder
from ocpp_server.schemas import OCPP_201, compiled_schema_file


def variable(
    component: str,
    name: str,
    value: str,
    *,
    instance: str | None = None,
    evse: dict[str, int] | None = None,
    attribute_type: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "component": {"name": component, **({"evse": evse} if evse else {})},
        "variable": {"name": name, **({"instance": instance} if instance else {})},
        "variableAttribute": [{"value": value, **({"type": attribute_type} if attribute_type else {})}],
    }
    return entry


def part(seq_no: int, tbc: bool, *report_data: dict[str, Any], request_id: int = 5) -> dict[str, Any]:
    request: dict[str, Any] = {
        "requestId": request_id,
        "generatedAt": f"2025-03-04T05:00:0{seq_no}Z",
        "tbc": tbc,
        "seqNo": seq_no,
    }
    if report_data:
        request["reportData"] = list(report_data)
    check = compiled_schema_file(OCPP_201, "NotifyReportRequest.json")
    assert check is not None
    check(request)
    return request


PART_0 = part(0, True, variable("SmartChargingCtrlr", "PeriodsPerSchedule", "24"))
PART_1 = part(1, True, variable("DeviceDataCtrlr", "ItemsPerMessage", "8", instance="GetVariables"))
PART_2 = part(2, False, variable("EVSE", "Power", "22000", evse={"id": 1}, attribute_type="MaxSet"))


def test_parts_out_of_order_make_a_complete_report() -> None:
    assembler = NotifyReportAssembler()

    assert assembler.add(PART_2) == ReportProgress(5, (2,), 2)
    assert assembler.add(PART_0).missing == (1,)
    progress = assembler.add(PART_1)

    assert progress.complete
    model = assembler.take(5)
    assert len(model) == 3
    assert model.generated_at == datetime(2025, 3, 4, 5, 0, 0, tzinfo=UTC)
    assert model.actual("SmartChargingCtrlr", "PeriodsPerSchedule") == "24"
    assert model.actual("DeviceDataCtrlr", "ItemsPerMessage", variable_instance="GetVariables") == "8"
    assert assembler.progress(5) is None  # taken: the parts are forgotten


def test_a_report_with_a_gap_is_not_complete_and_cannot_be_taken() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(PART_0)
    progress = assembler.add(PART_2)

    assert progress == ReportProgress(5, (0, 2), 2)
    assert progress.missing == (1,)
    assert not progress.complete
    with pytest.raises(IncompleteReportError, match=r"missing seqNo \[1\]"):
        assembler.take(5)


def test_a_report_without_its_last_part_is_not_complete() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(PART_0)
    progress = assembler.add(PART_1)

    assert progress.missing == ()
    assert not progress.complete
    with pytest.raises(IncompleteReportError, match="missing seqNo last"):
        assembler.take(5)
    with pytest.raises(IncompleteReportError, match="no part"):
        assembler.take(6)


def test_a_single_part_report_is_complete_and_reports_are_kept_apart() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(part(0, True, variable("A", "B", "1"), request_id=1))

    assert assembler.add(part(0, False, variable("A", "B", "2"), request_id=2)).complete
    assert assembler.take(2).actual("A", "B") == "2"
    assert assembler.progress(1) == ReportProgress(1, (0,), None)
    assembler.discard(1)
    assert assembler.progress(1) is None


def test_a_repeated_part_replaces_the_earlier_copy() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(part(0, False, variable("A", "B", "old")))

    assert assembler.add(part(0, False, variable("A", "B", "new"))).complete
    assert assembler.take(5).actual("A", "B") == "new"


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (part(1, False), part(2, False), "both say they are the last"),
        (part(1, False), part(2, True), "follows the last part"),
        (part(3, True), part(1, False), "a part follows the last part"),
    ],
)
def test_parts_that_contradict_each_other_are_refused(
    first: dict[str, Any], second: dict[str, Any], message: str
) -> None:
    assembler = NotifyReportAssembler()
    assembler.add(first)

    with pytest.raises(InvalidPayloadError, match=message):
        assembler.add(second)


def test_snake_case_parts_full_keys_and_characteristics() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(
        {
            "request_id": 9,
            "generated_at": "2025-03-04T05:00:00Z",
            "seq_no": 0,
            "report_data": [
                {
                    "component": {"name": "Connector", "instance": "left", "evse": {"id": 2, "connector_id": 1}},
                    "variable": {"name": "Enabled", "instance": "x"},
                    "variable_attribute": [
                        {"type": "Actual", "value": "true", "mutability": "ReadOnly", "persistent": True},
                        {"type": "Target", "value": "false", "constant": True},
                    ],
                    "variable_characteristics": {"data_type": "boolean", "supports_monitoring": False},
                }
            ],
        }
    )
    model = assembler.take(9)
    key = VariableKey("connector", "ENABLED", "LEFT", 2, 1, "X")

    assert (
        model.actual(
            "CONNECTOR", "enabled", component_instance="Left", evse_id=2, connector_id=1, variable_instance="x"
        )
        == "true"
    )
    assert model.actual("Connector", "Enabled", evse_id=2, connector_id=1, variable_instance="x") is None  # instance
    reported = model.get(key)
    assert reported is not None
    assert reported.key == VariableKey("Connector", "Enabled", "left", 2, 1, "x")
    assert reported.attribute("Actual") == VariableAttribute("Actual", "true", "ReadOnly", persistent=True)
    assert reported.attribute("Target") == VariableAttribute("Target", "false", constant=True)
    assert reported.characteristics == VariableCharacteristics("boolean", supports_monitoring=False)
    assert model.has_component("connector")
    assert not model.has_component("ISO15118Ctrlr")


def test_get_variables_results_give_a_new_model_with_accepted_values() -> None:
    assert len(DeviceModel.from_variables([]).with_get_variables_results([])) == 0
    assembler = NotifyReportAssembler()
    assembler.add(part(0, False, variable("SmartChargingCtrlr", "Enabled", "false")))
    model = assembler.take(5)

    updated = model.with_get_variables_results(
        [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "SmartChargingCtrlr"},
                "variable": {"name": "Enabled"},
                "attributeValue": "true",
            },
            {
                "attributeStatus": "Accepted",
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
                "attributeValue": "60",
            },
            {
                "attributeStatus": "UnknownVariable",
                "component": {"name": "SmartChargingCtrlr"},
                "variable": {"name": "Nope"},
            },
            {
                "attribute_status": "Accepted",
                "attribute_type": "MaxSet",
                "component": {"name": "SmartChargingCtrlr"},
                "variable": {"name": "Enabled"},
                "attribute_value": "x",
            },
        ]
    )

    assert model.actual("SmartChargingCtrlr", "Enabled") == "false"  # the old model is unchanged
    assert updated.actual("SmartChargingCtrlr", "Enabled") == "true"
    assert updated.actual("SampledDataCtrlr", "TxUpdatedInterval") == "60"
    assert updated.actual("SmartChargingCtrlr", "Nope") is None
    enabled = updated.get(VariableKey("SmartChargingCtrlr", "Enabled"))
    assert enabled is not None
    assert {a.type for a in enabled.attributes} == {"Actual", "MaxSet"}
    with pytest.raises(TypeError):
        updated.variables_by_key[VariableKey("a", "b")] = enabled  # type: ignore[index]


def full_model() -> DeviceModel:
    assembler = NotifyReportAssembler()
    assembler.add(
        part(
            0,
            False,
            variable("DeviceDataCtrlr", "ItemsPerMessage", "4", instance="GetVariables"),
            variable("DeviceDataCtrlr", "BytesPerMessage", "2048", instance="GetVariables"),
            variable("DeviceDataCtrlr", "ItemsPerMessage", "2", instance="SetVariables"),
            variable("DeviceDataCtrlr", "BytesPerMessage", "1024.0", instance="SetVariables"),
            variable("SmartChargingCtrlr", "RateUnit", "A,W"),
            variable("SmartChargingCtrlr", "PeriodsPerSchedule", "24"),
            variable("SmartChargingCtrlr", "ProfileStackLevel", "8"),
            variable("SmartChargingCtrlr", "Enabled", "true"),
            variable("SampledDataCtrlr", "TxUpdatedInterval", "60"),
            variable("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register,Power.Active.Import"),
            variable("ISO15118Ctrlr", "SeccId", "IT*VET*E1", evse={"id": 1}),
        )
    )
    return assembler.take(5)


def test_charger_limits_are_read_from_the_model() -> None:
    assert charger_limits(full_model()) == ChargerLimits201(
        items_per_get_variables=4,
        bytes_per_get_variables=2048,
        items_per_set_variables=2,
        bytes_per_set_variables=1024,
        rate_units=frozenset({RateUnit.AMPS, RateUnit.WATTS}),
        periods_per_schedule=24,
        profile_stack_level=8,
        smart_charging_enabled=True,
        tx_updated_interval_s=60,
        tx_updated_measurands=("Energy.Active.Import.Register", "Power.Active.Import"),
        iso15118=True,
    )


def test_missing_limits_are_none_and_unreadable_ones_are_named() -> None:
    assembler = NotifyReportAssembler()
    assembler.add(
        part(
            0,
            False,
            variable("SmartChargingCtrlr", "ChargingScheduleChargingRateUnit", "kW"),
            variable("SmartChargingCtrlr", "PeriodsPerSchedule", "0"),
            variable("SmartChargingCtrlr", "Enabled", "yes"),
            variable("SmartChargingCtrlr", "ChargingProfileMaxStackLevel", "3"),
        )
    )

    limits = charger_limits(assembler.take(5))

    assert limits == ChargerLimits201(
        profile_stack_level=3,
        problems=(
            "SmartChargingCtrlr.ChargingScheduleChargingRateUnit='kW'",
            "SmartChargingCtrlr.PeriodsPerSchedule='0'",
            "SmartChargingCtrlr.Enabled='yes'",
        ),
    )


def get_variable_data(name: str) -> dict[str, Any]:
    return {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": name}}


ENCODE = call_frame_encoder("GetVariables", "getVariableData")


def frame_bytes(items: list[dict[str, Any]]) -> int:
    return len(ENCODE(items).encode("utf-8"))


def test_the_encoder_writes_the_whole_call_frame() -> None:
    items = [get_variable_data("Enabled")]
    frame = json.loads(ENCODE(items))

    assert frame == [2, "0" * 36, "GetVariables", {"getVariableData": items}]
    check = compiled_schema_file(OCPP_201, "GetVariablesRequest.json")
    assert check is not None
    check(frame[3])


def test_a_request_exactly_at_the_byte_limit_is_sent_whole_and_one_byte_less_splits_it() -> None:
    items = [get_variable_data(name) for name in ("Enabled", "RateUnit", "PeriodsPerSchedule")]
    whole = frame_bytes(items)

    assert batches(items, items_per_message=None, bytes_per_message=whole, encode=ENCODE) == [items]
    assert batches(items, items_per_message=None, bytes_per_message=whole - 1, encode=ENCODE) == [
        items[:2],
        items[2:],
    ]


def test_requests_hold_at_most_items_per_message() -> None:
    items = [get_variable_data(f"V{i}") for i in range(5)]

    assert batches(items, items_per_message=2, bytes_per_message=None, encode=ENCODE) == [
        items[:2],
        items[2:4],
        items[4:],
    ]
    assert batches([], items_per_message=2, bytes_per_message=100, encode=ENCODE) == []


def test_an_item_too_large_for_one_request_is_refused() -> None:
    items = [get_variable_data("A"), get_variable_data("B" * 40)]

    with pytest.raises(MessageTooLargeError, match=r"item 1 alone makes a request of \d+ bytes"):
        batches(items, items_per_message=None, bytes_per_message=frame_bytes(items[:1]), encode=ENCODE)


@pytest.mark.parametrize(("items_per_message", "bytes_per_message"), [(0, None), (None, 0)])
def test_limits_below_one_are_refused(items_per_message: int | None, bytes_per_message: int | None) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        batches([1], items_per_message=items_per_message, bytes_per_message=bytes_per_message, encode=str)


@given(
    names=st.lists(st.text(min_size=1, max_size=30), max_size=25),
    items_per_message=st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    spare_bytes=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_no_request_exceeds_either_limit_and_nothing_is_lost_or_reordered(
    names: list[str], items_per_message: int | None, spare_bytes: int | None
) -> None:
    items = [get_variable_data(name) for name in names]
    largest = max((frame_bytes([item]) for item in items), default=100)
    bytes_per_message = None if spare_bytes is None else largest + spare_bytes

    split = batches(items, items_per_message=items_per_message, bytes_per_message=bytes_per_message, encode=ENCODE)

    assert [item for batch in split for item in batch] == items
    for batch in split:
        assert batch
        assert items_per_message is None or len(batch) <= items_per_message
        assert bytes_per_message is None or frame_bytes(batch) <= bytes_per_message
    # Greedy: each request but the last could not take the next request's first item.
    for batch, following in itertools.pairwise(split):
        fits_items = items_per_message is None or len(batch) < items_per_message
        fits_bytes = bytes_per_message is None or frame_bytes([*batch, following[0]]) <= bytes_per_message
        assert not (fits_items and fits_bytes)
