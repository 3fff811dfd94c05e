"""The charger a log line is about, without every log call passing it."""

from __future__ import annotations

from contextvars import ContextVar

CHARGE_POINT_ID: ContextVar[str | None] = ContextVar("charge_point_id", default=None)
"""The charger whose connection the current task serves, set once per connection by the central
system: every line logged while serving it, in the edge or in the application it calls, can then
name the charger (``fleet.observability.logging_json`` writes it out). A ContextVar is per task and
copied into the tasks a connection starts, so connections never see each other's."""
