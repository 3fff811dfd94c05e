"""The edge's counts over real websockets: connections, frames, handler times, CALLERRORs, outbound calls.

The counts go to the Prometheus families the application serves (``PrometheusEdgeMetrics``), read
back from their registry.
"""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from fleet.observability.edge_metrics import PrometheusEdgeMetrics
from ocpp_server.central_system import CentralSystem
from ocpp_server.metrics import UNKNOWN_ACTION, action_label
from ocpp_server.raw_calls import CentralSystemAction, RawCallOutcome
from tests.ocpp_server.support import AC_22KW, RecordingSink, charger, fixed_now, running, until
from tests.ocpp_server.test_commands import PLAN

STATUS = '{"connectorId":1,"errorCode":"NoError","status":"Available"}'


def edge_metrics() -> tuple[PrometheusEdgeMetrics, CollectorRegistry]:
    registry = CollectorRegistry()
    return PrometheusEdgeMetrics(registry), registry


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled series not created yet."""
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_frames_handler_times_and_callerrors_are_counted_per_action_and_code() -> None:
    metrics, registry = edge_metrics()
    async with (
        running(CentralSystem(RecordingSink(), fixed_now, metrics=metrics)) as url,
        connect(f"{url}/CP1", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
    ):
        for unique_id in ("h1", "h2"):
            await ws.send(f'[2,"{unique_id}","Heartbeat",{{}}]')
            assert json.loads(await ws.recv())[0] == 3
        await ws.send(f'[2,"s1","StatusNotification",{STATUS}]')
        assert json.loads(await ws.recv())[0] == 3
        await ws.send('[2,"x1","MakeCoffee",{}]')
        answers: list[Any] = [json.loads(await ws.recv())]
        await ws.send("not json at all [")
        answers.append(json.loads(await ws.recv()))
        await ws.send('[2,"b1","Heartbeat",{"unexpected":1}]')
        answers.append(json.loads(await ws.recv()))

    received = "vettabbia_ocpp_messages_received_total"
    assert sample(registry, received, action="Heartbeat", message_type="CALL") == 3
    assert sample(registry, received, action="StatusNotification", message_type="CALL") == 1
    # A charger's made-up action is one bounded label, not a series of its own.
    assert sample(registry, received, action=UNKNOWN_ACTION, message_type="CALL") == 1
    assert sample(registry, received, action="MakeCoffee", message_type="CALL") == 0
    assert sample(registry, received, action="", message_type="malformed") == 1
    assert [a[2] for a in answers] == ["NotImplemented", "FormationViolation", "FormationViolation"]
    errors = "vettabbia_ocpp_call_errors_sent_total"
    assert sample(registry, errors, error_code="NotImplemented") == 1
    # The frame that is not JSON and the Heartbeat with a field it must not have.
    assert sample(registry, errors, error_code="FormationViolation") == 2
    handled = "vettabbia_ocpp_handler_seconds"
    assert sample(registry, f"{handled}_count", action="Heartbeat") == 3
    assert sample(registry, f"{handled}_count", action="StatusNotification") == 1
    assert 0 < sample(registry, f"{handled}_sum", action="Heartbeat") < 5


async def test_connections_open_and_close_are_counted() -> None:
    metrics, registry = edge_metrics()
    async with running(CentralSystem(RecordingSink(), fixed_now, metrics=metrics)) as url:
        async with charger(url, "CP1"), charger(url, "CP2"):
            await until("two connections", lambda: sample(registry, "vettabbia_ocpp_connections_open") == 2)
        await until("both closed", lambda: sample(registry, "vettabbia_ocpp_connections_open") == 0)
        # A second connection of the same charger replaces the first: one more connect, one more close.
        async with charger(url, "CP1"), charger(url, "CP1"):
            await until("the replacement", lambda: sample(registry, "vettabbia_ocpp_disconnects_total") == 3)
            assert sample(registry, "vettabbia_ocpp_connections_open") == 1
        await until("all closed", lambda: sample(registry, "vettabbia_ocpp_connections_open") == 0)

    assert sample(registry, "vettabbia_ocpp_connects_total") == 4
    assert sample(registry, "vettabbia_ocpp_disconnects_total") == 4


async def test_outbound_calls_are_counted_by_outcome_with_their_latency() -> None:
    metrics, registry = edge_metrics()
    central = CentralSystem(RecordingSink(), fixed_now, metrics=metrics, call_timeout_s=0.3)
    async with running(central) as url, charger(url, "CP1") as cp:
        for answer in ("Accepted", "Accepted", "Rejected", "CallError"):
            cp.profile_answer = answer
            await central.set_charging_profile("CP1", PLAN, AC_22KW)
        await central.clear_charging_profile("CP1")
        # Raw calls too: the test charger has no ClearCache handler and answers with a CALLERROR.
        raw = await central.send_call("CP1", CentralSystemAction.CLEAR_CACHE, {})
        assert raw.outcome is RawCallOutcome.CALL_ERROR
        # Last: the test charger's silent handler holds its read loop for good.
        cp.profile_answer = "Silent"
        await central.set_charging_profile("CP1", PLAN, AC_22KW)
        # Both directions are counted on the edge: the charger's answers arrive as frames too.
        await until(
            "the answers counted",
            lambda: (
                sample(registry, "vettabbia_ocpp_messages_received_total", action="", message_type="CALLRESULT") == 4
            ),
        )

    calls = "vettabbia_ocpp_outbound_call_seconds_count"
    assert sample(registry, calls, action="SetChargingProfile", outcome="accepted") == 2
    assert sample(registry, calls, action="SetChargingProfile", outcome="rejected") == 1
    assert sample(registry, calls, action="SetChargingProfile", outcome="error") == 1
    assert sample(registry, calls, action="SetChargingProfile", outcome="timeout") == 1
    assert sample(registry, calls, action="ClearChargingProfile", outcome="accepted") == 1
    assert sample(registry, calls, action="ClearCache", outcome="error") == 1
    timed_out_s = sample(
        registry, "vettabbia_ocpp_outbound_call_seconds_sum", action="SetChargingProfile", outcome="timeout"
    )
    assert 0.3 <= timed_out_s < 2
    received = "vettabbia_ocpp_messages_received_total"
    assert sample(registry, received, action="", message_type="CALLERROR") == 2


def test_action_labels_are_ocpp_actions_or_unknown() -> None:
    assert action_label("MeterValues") == "MeterValues"
    assert action_label("SignCertificate") == "SignCertificate"
    assert action_label("meterValues") == UNKNOWN_ACTION
    assert action_label("x" * 10_000) == UNKNOWN_ACTION
