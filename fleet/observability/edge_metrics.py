"""The OCPP edge's counts as Prometheus families (``ocpp_server.metrics.EdgeMetrics``).

Called for every frame, so the labelled children are looked up once and kept: a dict lookup and an
``inc`` per message, a few microseconds in all (measured in docs/observability.md).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ocpp_server.metrics import MessageType, OutboundOutcome

HANDLER_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Handler latency buckets [s]: a MeterValues stored on SQLite takes about a millisecond, a slow
store or a locked database seconds."""
OUTBOUND_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Outbound call buckets [s]: a charger answers in tens of milliseconds; the timeout is 30 s."""


class PrometheusEdgeMetrics:
    """OCPP connections, frames, handler latency, CALLERRORs and outbound calls on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._open = Gauge("vettabbia_ocpp_connections_open", "Charger websockets being served now.", registry=registry)
        self._connects = Counter(
            "vettabbia_ocpp_connects", "Charger websockets admitted and served.", registry=registry
        )
        self._disconnects = Counter(
            "vettabbia_ocpp_disconnects", "Served charger websockets that closed.", registry=registry
        )
        self._received = Counter(
            "vettabbia_ocpp_messages_received",
            "OCPP-J frames received, by action (CALLs only) and message type.",
            ["action", "message_type"],
            registry=registry,
        )
        self._handled = Histogram(
            "vettabbia_ocpp_handler_seconds",
            "Time from reading a charger's CALL to its answer sent, by action.",
            ["action"],
            buckets=HANDLER_BUCKETS_S,
            registry=registry,
        )
        self._call_errors = Counter(
            "vettabbia_ocpp_call_errors_sent",
            "CALLERRORs sent to chargers, by error code.",
            ["error_code"],
            registry=registry,
        )
        self._outbound = Histogram(
            "vettabbia_ocpp_outbound_call_seconds",
            "Calls sent to chargers, by action and outcome, and how long each took.",
            ["action", "outcome"],
            buckets=OUTBOUND_BUCKETS_S,
            registry=registry,
        )
        self._received_children: dict[tuple[str, MessageType], Counter] = {}
        self._handled_children: dict[str, Histogram] = {}

    def connection_opened(self) -> None:
        self._open.inc()
        self._connects.inc()

    def connection_closed(self) -> None:
        self._open.dec()
        self._disconnects.inc()

    def message_received(self, action: str, message_type: MessageType) -> None:
        key = (action, message_type)
        child = self._received_children.get(key)
        if child is None:
            child = self._received_children[key] = self._received.labels(action, message_type.value)
        child.inc()

    def call_handled(self, action: str, duration_s: float) -> None:
        child = self._handled_children.get(action)
        if child is None:
            child = self._handled_children[action] = self._handled.labels(action)
        child.observe(duration_s)

    def call_error_sent(self, error_code: str) -> None:
        self._call_errors.labels(error_code).inc()

    def outbound_call_finished(self, action: str, outcome: OutboundOutcome, duration_s: float) -> None:
        self._outbound.labels(action, outcome.value).observe(duration_s)
