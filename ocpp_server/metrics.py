"""What the OCPP edge reports about its own work, for whoever measures it.

The edge counts through ``EdgeMetrics``, a Protocol, and imports no metrics library: the
application chooses one (``fleet.observability.edge_metrics`` writes Prometheus families) and the
edge stays free of it, as it is of the store. ``NoEdgeMetrics`` is what the edge uses when nobody
listens (the simulator, the edge-cost benchmark).

Labels the edge passes are bounded: an action is one OCPP 1.6 action name or ``unknown``, never a
string a charger made up, so a misbehaving charger cannot grow the number of series.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ocpp.v16.enums import Action

UNKNOWN_ACTION = "unknown"
"""The label of an action that OCPP 1.6 does not define."""

_KNOWN_ACTIONS = frozenset(action.value for action in Action)
"""OCPP 1.6 actions, the security extension's included."""


class MessageType(StrEnum):
    """The kind of an OCPP-J frame received."""

    CALL = "CALL"
    CALLRESULT = "CALLRESULT"
    CALLERROR = "CALLERROR"
    MALFORMED = "malformed"


class OutboundOutcome(StrEnum):
    """What became of a call the central system sent to a charger."""

    ACCEPTED = "accepted"
    """Answered with status Accepted."""
    REJECTED = "rejected"
    """Answered with any other status (Rejected, NotSupported, Unknown, ...)."""
    ANSWERED = "answered"
    """Answered with a payload that has no status (GetConfiguration, DataTransfer without one)."""
    ERROR = "error"
    """Answered with a CALLERROR."""
    TIMEOUT = "timeout"
    NOT_CONNECTED = "not_connected"


def action_label(action: str) -> str:
    """``action`` if OCPP 1.6 defines it, else ``unknown``."""
    return action if action in _KNOWN_ACTIONS else UNKNOWN_ACTION


def outcome_of_status(status: object) -> OutboundOutcome:
    """The outcome of an answer carrying ``status`` (None: no status field)."""
    if status is None:
        return OutboundOutcome.ANSWERED
    return OutboundOutcome.ACCEPTED if str(status) == "Accepted" else OutboundOutcome.REJECTED


class EdgeMetrics(Protocol):
    """Told about the edge's work as it happens; every method must return at once and never raise."""

    def connection_opened(self) -> None:
        """A charger's websocket was admitted and is now served."""

    def connection_closed(self) -> None:
        """A served websocket closed (or was replaced by the charger's newer one)."""

    def message_received(self, action: str, message_type: MessageType) -> None:
        """A frame arrived; ``action`` (an ``action_label``) is empty for anything but a CALL."""

    def call_handled(self, action: str, duration_s: float) -> None:
        """A charger's CALL was answered (CALLRESULT or CALLERROR) ``duration_s`` [s] after it was read."""

    def call_error_sent(self, error_code: str) -> None:
        """A CALLERROR with ``error_code`` went to a charger."""

    def outbound_call_finished(self, action: str, outcome: OutboundOutcome, duration_s: float) -> None:
        """A call to a charger ended with ``outcome`` after ``duration_s`` [s]."""


class NoEdgeMetrics:
    """Counts nothing."""

    def connection_opened(self) -> None:
        pass

    def connection_closed(self) -> None:
        pass

    def message_received(self, action: str, message_type: MessageType) -> None:
        pass

    def call_handled(self, action: str, duration_s: float) -> None:
        pass

    def call_error_sent(self, error_code: str) -> None:
        pass

    def outbound_call_finished(self, action: str, outcome: OutboundOutcome, duration_s: float) -> None:
        pass
