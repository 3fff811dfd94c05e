"""Over real websockets: the compiled path refuses what the library's path refuses, with 1.6's codes."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.events import MeterValuesReceived
from ocpp_server.json_codec import ORJSON, STDLIB_JSON, JsonCodec
from ocpp_server.ports import BootDecision
from ocpp_server.schemas import CompiledSchemas, LibrarySchemas, PayloadSchemas
from tests.ocpp_server.support import RecordingSink, fixed_now, running

SAMPLE = {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"}


def _meter_values(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [{"timestamp": "2025-06-02T09:58:00Z", "sampledValue": [SAMPLE]}],
    }
    payload.update(changes)
    return payload


INVALID_CALLS = [
    pytest.param("MeterValues", _meter_values(connectorId="1"), "TypeConstraintViolation", id="type"),
    pytest.param("MeterValues", {"meterValue": _meter_values()["meterValue"]}, "ProtocolError", id="required"),
    pytest.param("MeterValues", _meter_values(colour="red"), "FormationViolation", id="additional-property"),
    pytest.param("MeterValues", _meter_values(meterValue=[]), "FormationViolation", id="min-items"),
    pytest.param(
        "MeterValues",
        _meter_values(meterValue=[{"timestamp": "2025-06-02T09:58:00Z", "sampledValue": [{**SAMPLE, "unit": "hp"}]}]),
        "FormationViolation",
        id="nested-enum",
    ),
    pytest.param(
        "MeterValues",
        _meter_values(meterValue=[{"timestamp": "2025-06-02T09:58:00Z", "sampledValue": [{"value": 7.2}]}]),
        "TypeConstraintViolation",
        id="nested-type",
    ),
    pytest.param("Authorize", {"idTag": "T" * 21}, "TypeConstraintViolation", id="max-length"),
    pytest.param(
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Asleep"},
        "FormationViolation",
        id="enum",
    ),
    pytest.param(
        "BootNotification",
        {"chargePointVendor": "Acme", "chargePointModel": "AC22", "firmwareVersion": 3},
        "TypeConstraintViolation",
        id="optional-type",
    ),
]

PATHS = [
    pytest.param(CompiledSchemas(), ORJSON, id="compiled-orjson"),
    pytest.param(LibrarySchemas(), STDLIB_JSON, id="library-json"),
]


async def _answer(schemas: PayloadSchemas, codec: JsonCodec, action: str, payload: dict[str, Any]) -> list[Any]:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now, schemas=schemas, json_codec=codec)
    async with running(central) as url, connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        await ws.send(json.dumps([2, "bad-1", action, payload]))
        answer: list[Any] = json.loads(await ws.recv())
        await ws.send('[2,"next","Heartbeat",{}]')
        after: list[Any] = json.loads(await ws.recv())
    assert after[:2] == [3, "next"], "the connection keeps serving"
    assert sink.of_type(MeterValuesReceived) == [], "nothing invalid reaches the application"
    return answer


@pytest.mark.parametrize(("schemas", "codec"), PATHS)
@pytest.mark.parametrize(("action", "payload", "code"), INVALID_CALLS)
async def test_an_invalid_payload_is_refused_with_the_16_error_code(
    schemas: PayloadSchemas, codec: JsonCodec, action: str, payload: dict[str, Any], code: str
) -> None:
    answer = await _answer(schemas, codec, action, payload)

    assert answer[:3] == [4, "bad-1", code]
    assert answer[4]["cause"]


@pytest.mark.parametrize(("action", "payload", "code"), INVALID_CALLS)
async def test_both_paths_give_the_same_callerror(action: str, payload: dict[str, Any], code: str) -> None:
    compiled = await _answer(CompiledSchemas(), ORJSON, action, payload)
    library = await _answer(LibrarySchemas(), STDLIB_JSON, action, payload)

    assert compiled == library


@pytest.mark.parametrize(("schemas", "codec"), PATHS)
async def test_a_valid_meter_value_is_answered_and_delivered(schemas: PayloadSchemas, codec: JsonCodec) -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now, schemas=schemas, json_codec=codec)
    async with running(central) as url, connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        await ws.send(json.dumps([2, "ok-1", "MeterValues", _meter_values()]))
        answer = json.loads(await ws.recv())

    assert answer == [3, "ok-1", {}]
    (received,) = sink.of_type(MeterValuesReceived)
    assert [sample.value for sample in received.samples] == [7.2]


@pytest.mark.parametrize(("schemas", "codec"), PATHS)
async def test_a_reply_that_fails_its_schema_is_never_sent(schemas: PayloadSchemas, codec: JsonCodec) -> None:
    # A heartbeat interval of 1.5 s is not the integer the BootNotification.conf schema asks for.
    boot = BootDecision(accepted=True, heartbeat_interval_s=cast(int, 1.5), electrical={}, failsafe_limit_kw=0.0)
    central = CentralSystem(RecordingSink(boot=boot), fixed_now, schemas=schemas, json_codec=codec)
    boot_call = {"chargePointVendor": "Acme", "chargePointModel": "AC22"}
    async with running(central) as url, connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        await ws.send(json.dumps([2, "b-1", "BootNotification", boot_call]))
        answer = json.loads(await ws.recv())

    assert answer[:3] == [4, "b-1", "InternalError"]
