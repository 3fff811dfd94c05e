"""Memoised key conversion and orjson frames give what the ``ocpp`` library gives."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.messages import Call, CallError, CallResult

from ocpp_server.framing import encode_frame, parse_frame
from ocpp_server.json_codec import ORJSON, STDLIB_JSON
from ocpp_server.keys import camel_to_snake_keys, snake_to_camel_keys

_KEYS = st.one_of(
    st.sampled_from(["connectorId", "meterValue", "sampledValue", "idTagInfo", "socLimitReached", "ocppCSMSURL"]),
    st.text(alphabet="abcXYZ_019", max_size=12),
)
_PAYLOADS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@given(_PAYLOADS)
def test_keys_convert_as_the_library_converts_them(payload: Any) -> None:
    assert camel_to_snake_keys(payload) == camel_to_snake_case(payload)
    assert snake_to_camel_keys(payload) == snake_to_camel_case(payload)


def test_a_meter_value_payload_gets_snake_case_keys_at_every_depth() -> None:
    payload = {"connectorId": 1, "meterValue": [{"timestamp": "t", "sampledValue": [{"value": "1"}]}]}

    assert camel_to_snake_keys(payload) == {
        "connector_id": 1,
        "meter_value": [{"timestamp": "t", "sampled_value": [{"value": "1"}]}],
    }


_INT64_PAYLOADS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@given(_PAYLOADS)
def test_orjson_and_the_standard_library_write_the_same_json(payload: Any) -> None:
    assert json.loads(ORJSON.dumps(payload)) == json.loads(STDLIB_JSON.dumps(payload))


@given(_INT64_PAYLOADS)
def test_orjson_reads_what_it_writes_and_what_the_standard_library_writes(payload: Any) -> None:
    assert ORJSON.loads(ORJSON.dumps(payload)) == payload
    assert ORJSON.loads(STDLIB_JSON.dumps(payload)) == json.loads(STDLIB_JSON.dumps(payload))


def test_decimals_are_written_as_the_library_writes_them() -> None:
    assert ORJSON.dumps({"limit": Decimal("21.4")}) == STDLIB_JSON.dumps({"limit": Decimal("21.4")}) == '{"limit":21.4}'


def test_frames_are_written_as_the_library_writes_them() -> None:
    messages = [
        Call("c1", "SetChargingProfile", {"connectorId": 1}),
        CallResult("r1", {"status": "Accepted"}),
        CallError("e1", "FormationViolation", "bad frame", {"cause": "é"}),
    ]
    for message in messages:
        assert json.loads(encode_frame(message, ORJSON)) == json.loads(message.to_json())
        assert encode_frame(message, STDLIB_JSON) == message.to_json()


def test_frames_read_the_same_with_either_codec() -> None:
    raw = '[2,"m1","MeterValues",{"connectorId":1,"meterValue":[]}]'
    fast, standard = parse_frame(raw, ORJSON), parse_frame(raw, STDLIB_JSON)

    assert isinstance(fast, Call)
    assert isinstance(standard, Call)
    assert (fast.unique_id, fast.action, fast.payload) == (standard.unique_id, standard.action, standard.payload)
