"""NATS header names on events and answers."""

from __future__ import annotations

KIND = "Vettabbia-Kind"
"""What the message is: an ``EventKind`` or a ``CommandKind`` value."""
GATEWAY = "Vettabbia-Gateway"
"""The gateway that published the event."""
CHARGE_POINT = "Vettabbia-Charge-Point"
REPLY_ID = "Vettabbia-Reply-Id"
"""Set on events that wait for an answer; the answer carries it back."""
DEADLINE = "Vettabbia-Deadline"
"""Unix time [s] after which nobody waits for the answer any more."""
ERROR = "Vettabbia-Error"
"""On an answer: handling failed, and why."""
