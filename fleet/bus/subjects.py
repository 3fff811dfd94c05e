"""The NATS names the gateways and the controller agree on, under one namespace per deployment.

Two deployments (or two test runs) on one broker keep apart by their namespace: it prefixes every
subject, the stream and the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "vettabbia"


def valid_token(token: str) -> bool:
    """A NATS subject token: not empty, no dots, spaces or wildcards."""
    return bool(token) and not any(c in token for c in ".*> \t\r\n")


@dataclass(frozen=True, slots=True)
class Subjects:
    namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        if not valid_token(self.namespace) or not self.namespace.replace("-", "_").isidentifier():
            raise ValueError(f"bus namespace {self.namespace!r}: letters, digits, '_' and '-' only")

    @property
    def event_stream(self) -> str:
        """JetStream stream holding every charger event until the controller has handled it."""
        return f"{self.namespace.upper().replace('-', '_')}_EVENTS"

    @property
    def events(self) -> str:
        return f"{self.namespace}.events.>"

    @property
    def controller_consumer(self) -> str:
        """The durable consumer: a restarted controller carries on where the last one acknowledged."""
        return "controller"

    @property
    def state_bucket(self) -> str:
        """Key-value bucket for what every node reads: the controller's clock."""
        return f"{self.namespace}_state"

    clock_key = "clock"

    @property
    def alive_all(self) -> str:
        return f"{self.namespace}.gateways.*.alive"

    def event(self, gateway_id: str) -> str:
        return f"{self.namespace}.events.{gateway_id}"

    def replies(self, gateway_id: str) -> str:
        """Where the controller answers the events that need an answer (boot, authorize, start, ...)."""
        return f"{self.namespace}.replies.{gateway_id}"

    def commands(self, gateway_id: str) -> str:
        """Where a gateway takes the controller's commands for the chargers it holds."""
        return f"{self.namespace}.gateways.{gateway_id}.commands"

    def alive(self, gateway_id: str) -> str:
        """Where a gateway says, every few seconds, that it lives and which chargers it holds."""
        return f"{self.namespace}.gateways.{gateway_id}.alive"
