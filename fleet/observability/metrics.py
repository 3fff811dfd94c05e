"""Every Prometheus family of one process, on a registry of its own.

Built once by the composition root (``fleet.runtime``) and handed to the parts it measures: the
OCPP edge (through ``edge``), the control loop, dispatch and the readiness check. Nothing is put on
prometheus_client's global default registry, so a test can build several runtimes in one process,
each with its own counts.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from fleet.observability.edge_metrics import PrometheusEdgeMetrics

SOLVE_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Solve time buckets [s]: a warm re-solve takes milliseconds, a cold one at 72 vehicles tens of
milliseconds; the site file's time limit is seconds."""


class FleetMetrics:
    """The process's metrics: the edge's, the planner's, dispatch's and the database's."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.edge = PrometheusEdgeMetrics(self.registry)
        self._plans = Counter(
            "vettabbia_plans",
            "Plans made, by status (optimal, feasible, fallback).",
            ["status"],
            registry=self.registry,
        )
        self._solve_time = Histogram(
            "vettabbia_solve_seconds",
            "Time the optimiser took per plan (the fallback's too).",
            buckets=SOLVE_BUCKETS_S,
            registry=self.registry,
        )
        self._fallbacks = Counter(
            "vettabbia_fallback_plans",
            "Plans made by the solver-free fallback (solver failure or time limit without a plan).",
            registry=self.registry,
        )
        self._last_plan = Gauge(
            "vettabbia_last_plan_timestamp_seconds",
            "When the latest plan was made, in the site's clock (Unix time).",
            registry=self.registry,
        )
        self._dispatch = Counter(
            "vettabbia_dispatch_results",
            "TxProfiles dispatched to connectors, by the charger's answer (or why none came).",
            ["outcome"],
            registry=self.registry,
        )
        self._database_up = Gauge(
            "vettabbia_database_up",
            "1 if the database answered the latest readiness check, else 0.",
            registry=self.registry,
        )
        self._bus_up = Gauge(
            "vettabbia_bus_up",
            "1 if the message broker was connected at the latest readiness check, else 0 (scaled-out roles).",
            registry=self.registry,
        )
        self._bus_events = Counter(
            "vettabbia_bus_events",
            "Gateways' events handled by the controller, by kind and result.",
            ["kind", "result"],
            registry=self.registry,
        )
        self._bus_event_time = Histogram(
            "vettabbia_bus_event_seconds",
            "Time the controller took to handle a gateway's event (storing included).",
            ["kind"],
            registry=self.registry,
        )
        self._bus_unanswered = Counter(
            "vettabbia_bus_unanswered",
            "Gateway questions (boot, authorize, start, ...) the controller did not answer in time.",
            ["kind"],
            registry=self.registry,
        )

    def plan_made(self, status: str, solve_time_s: float, made_at: datetime) -> None:
        """A plan with ``status`` was stored; its solve took ``solve_time_s`` [s]."""
        self._plans.labels(status).inc()
        self._solve_time.observe(solve_time_s)
        if status == "fallback":
            self._fallbacks.inc()
        self._last_plan.set(made_at.timestamp())

    def profile_dispatched(self, outcome: str) -> None:
        """A TxProfile was sent (or not) and ended with ``outcome`` (a ``CommandStatus`` value)."""
        self._dispatch.labels(outcome).inc()

    def database_checked(self, *, answered: bool) -> None:
        self._database_up.set(1 if answered else 0)

    def bus_checked(self, *, connected: bool) -> None:
        self._bus_up.set(1 if connected else 0)

    def bus_event_handled(self, kind: str, duration_s: float, *, failed: bool) -> None:
        """The controller handled a gateway's event of ``kind`` in ``duration_s`` [s]."""
        self._bus_events.labels(kind, "failed" if failed else "handled").inc()
        self._bus_event_time.labels(kind).observe(duration_s)

    def bus_unanswered(self, kind: str) -> None:
        """A gateway's question of ``kind`` got no answer from the controller (the charger got an error)."""
        self._bus_unanswered.labels(kind).inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
