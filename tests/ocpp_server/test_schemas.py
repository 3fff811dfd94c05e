"""Compiled schema checks agree with the ``ocpp`` library's validator, error codes included."""

from __future__ import annotations

import decimal
import json
from importlib import resources
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, _validate_payload, get_validator

from ocpp_server.handlers_v16 import ChargePointV16
from ocpp_server.schemas import (
    OCPP_16,
    OCPP_201,
    CompiledCheck,
    CompiledSchemas,
    compile_schema,
    compiled_schema_file,
    read_schema,
    schema_file_name,
)

SCHEMAS_16 = sorted(p.name for p in (resources.files("ocpp") / "v16" / "schemas").iterdir() if p.name.endswith(".json"))
SCHEMAS_201 = sorted(
    p.name for p in (resources.files("ocpp") / "v201" / "schemas").iterdir() if p.name.endswith(".json")
)

_DECIMAL_ACTIONS = {("SetChargingProfile.json"), ("RemoteStartTransaction.json"), ("GetCompositeScheduleResponse.json")}
"""The schemas the library reads with Decimal floats (their limits are multiples of 0.1)."""


def _message(file_name: str, payload: dict[str, Any]) -> Call | CallResult:
    if file_name.endswith("Response.json"):
        return CallResult("id-1", payload, file_name.removesuffix("Response.json"))
    return Call("id-1", file_name.removesuffix(".json"), payload)


def _reference_verdict(file_name: str, payload: dict[str, Any]) -> str | None:
    """The library's error code for ``payload``, None when it is valid."""
    try:
        _validate_payload(_message(file_name, json.loads(json.dumps(payload))), OCPP_16)
    except OCPPError as error:
        return str(error.code)
    return None


def _compiled_verdict(schemas: CompiledSchemas, file_name: str, payload: dict[str, Any]) -> str | None:
    try:
        schemas.validate_now(_message(file_name, json.loads(json.dumps(payload))))
    except OCPPError as error:
        return str(error.code)
    return None


@pytest.mark.parametrize(
    ("version", "file_name"), [(OCPP_16, n) for n in SCHEMAS_16] + [(OCPP_201, n) for n in SCHEMAS_201]
)
def test_every_schema_the_library_ships_compiles(version: str, file_name: str) -> None:
    check = compile_schema(read_schema(version, file_name))

    assert callable(check)


def test_schema_files_are_named_as_the_library_names_them() -> None:
    assert schema_file_name(Call.message_type_id, "MeterValues", OCPP_16) == "MeterValues.json"
    assert schema_file_name(CallResult.message_type_id, "MeterValues", OCPP_16) == "MeterValuesResponse.json"
    assert schema_file_name(Call.message_type_id, "Authorize", OCPP_201) == "AuthorizeRequest.json"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = root
    for part in ref.removeprefix("#/").split("/"):
        resolved = resolved[part]
    return resolved


def _valid(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values the schema accepts (when the generator knows its keywords, which covers OCPP 1.6)."""
    schema = _resolve(schema, root)
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {key: _valid(sub, root, depth + 1) for key, sub in properties.items() if key in required},
            optional={key: _valid(sub, root, depth + 1) for key, sub in properties.items() if key not in required},
        )
    if kind == "array":
        fewest = schema.get("minItems", 0)
        return st.lists(_valid(schema.get("items", {}), root, depth + 1), min_size=fewest, max_size=fewest + 2)
    if kind == "string":
        longest = schema.get("maxLength", 12)
        return st.one_of(st.text(max_size=min(longest, 8)), st.text(min_size=longest, max_size=longest))
    if kind == "integer":
        return st.integers(-3, 100_000)
    if kind == "number":
        return st.one_of(st.integers(-30, 3000).map(lambda n: n / 10), st.integers(0, 50))
    if kind == "boolean":
        return st.booleans()
    return st.none()


_WRONG_VALUES: list[Any] = [1.5, 7, "x", "x" * 600, True, None, [], {}, [1], {"a": 1}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*path, index)))
    return found


def _mutated(payload: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``payload`` with one fault: a value of the wrong type or length, a key added or removed."""
    mutated: dict[str, Any] = json.loads(json.dumps(payload))
    path = data.draw(st.sampled_from(_paths(mutated)))
    parent: Any = mutated
    for step in path[:-1]:
        parent = parent[step]
    target = parent[path[-1]] if path else mutated
    if isinstance(target, dict) and data.draw(st.booleans()):
        if target and data.draw(st.booleans()):
            del target[data.draw(st.sampled_from(sorted(target)))]
        else:
            target[data.draw(st.sampled_from(["extra", "connectorId", "value"]))] = data.draw(
                st.sampled_from(_WRONG_VALUES)
            )
    elif path:
        parent[path[-1]] = data.draw(st.sampled_from(_WRONG_VALUES))
    return mutated


@pytest.mark.parametrize("file_name", SCHEMAS_16)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_checks_give_the_library_verdict_on_every_16_schema(file_name: str, data: st.DataObject) -> None:
    schema = read_schema(OCPP_16, file_name)
    payload = data.draw(_valid(schema, schema))
    if data.draw(st.booleans()):
        payload = _mutated(payload, data)
    schemas = CompiledSchemas(OCPP_16)

    assert _compiled_verdict(schemas, file_name, payload) == _reference_verdict(file_name, payload)


@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("Authorize", {"idTag": "x" * 21}, "TypeConstraintViolation"),
        ("Heartbeat", {"extra": 1}, "FormatViolation"),
        ("StatusNotification", {"connectorId": 1, "status": "Available"}, "ProtocolError"),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}, "FormatViolation"),
        ("MeterValues", {"connectorId": 1, "meterValue": []}, "FormatViolation"),
        (
            "MeterValues",
            {"connectorId": 1, "meterValue": [{"timestamp": "2025-06-02T09:58:00Z", "sampledValue": [{"value": 3}]}]},
            "TypeConstraintViolation",
        ),
        (
            "StartTransaction",
            {"connectorId": 1.5, "idTag": "a", "meterStart": 0, "timestamp": "x"},
            "TypeConstraintViolation",
        ),
    ],
)
def test_an_invalid_payload_raises_the_library_error(action: str, payload: dict[str, Any], code: str) -> None:
    with pytest.raises(OCPPError) as refused:
        CompiledSchemas().validate_now(Call("id-1", action, payload))

    assert refused.value.code == code


def test_timestamps_are_not_format_checked_as_the_library_does_not() -> None:
    payload = {"connectorId": 1, "idTag": "a", "meterStart": 0, "timestamp": "soon"}

    CompiledSchemas().validate_now(Call("id-1", "StartTransaction", payload))


def test_limits_in_tenths_pass_as_with_the_library_decimal_parsing() -> None:
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}, {"startPeriod": 60, "limit": 6.6}],
            },
        },
    }
    off_step = json.loads(json.dumps(profile).replace("21.4", "21.45"))
    schemas = CompiledSchemas()

    schemas.validate_now(Call("id-1", "SetChargingProfile", profile))
    with pytest.raises(OCPPError) as refused:
        schemas.validate_now(Call("id-1", "SetChargingProfile", off_step))
    assert refused.value.code == "FormatViolation"


def test_the_compiled_verdict_on_the_decimal_schemas_matches_the_draft4_validator() -> None:
    reference = get_validator(Call.message_type_id, "SetChargingProfile", OCPP_16, parse_float=decimal.Decimal)
    check = CompiledSchemas()
    for limit in ("0.1", "6.6", "21.4", "32.0", "7.35", "0.05"):
        payload = {
            "connectorId": 0,
            "csChargingProfiles": {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(limit)}],
                },
            },
        }
        expected = reference.is_valid(json.loads(json.dumps(payload), parse_float=decimal.Decimal))
        try:
            check.validate_now(Call("id-1", "SetChargingProfile", payload))
            compiled = True
        except OCPPError:
            compiled = False
        assert compiled == expected, limit


def test_an_action_without_schema_is_answered_as_the_library_answers_it() -> None:
    with pytest.raises(OCPPError) as refused:
        CompiledSchemas().validate_now(Call("id-1", "FlyToTheMoon", {}))

    assert refused.value.code == "NotImplemented"


def test_only_known_versions_have_schemas() -> None:
    with pytest.raises(ValueError, match=r"no schemas for OCPP 1\.5"):
        CompiledSchemas("1.5")


class _RefusesEverything(CompiledSchemas):
    """Compiled checks stricter than the library's, to see who has the last word."""

    def _compile(self, message_type_id: int, action: str) -> CompiledCheck:
        def refuse(payload: Any) -> Any:
            raise fastjsonschema.JsonSchemaValueException("refused by a stricter check", rule="type")

        return refuse


def test_the_library_has_the_last_word_when_a_compiled_check_refuses(caplog: pytest.LogCaptureFixture) -> None:
    schemas = _RefusesEverything()

    schemas.validate_now(Call("id-1", "Heartbeat", {}))
    with pytest.raises(OCPPError) as refused:
        schemas.validate_now(Call("id-2", "Heartbeat", {"extra": 1}))

    assert refused.value.code == "FormatViolation"
    assert "reference validator accepts" in caplog.text


def test_every_action_the_central_system_handles_has_compiled_request_and_response_checks() -> None:
    actions = ChargePointV16.handled_actions()

    CompiledSchemas().prepare(actions)

    assert "MeterValues" in actions
    for action in actions:
        for message_type_id in (Call.message_type_id, CallResult.message_type_id):
            assert compiled_schema_file(OCPP_16, schema_file_name(message_type_id, action, OCPP_16)) is not None


def test_action_names_that_are_not_names_get_the_library_answer() -> None:
    with pytest.raises(OCPPError) as refused:
        CompiledSchemas().validate_now(Call("id-1", "../MeterValues", {}))

    assert refused.value.code == "NotImplemented"
