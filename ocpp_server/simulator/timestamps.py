"""OCPP-J date-times: ISO 8601 in UTC with a ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, datetime


def format_ocpp_datetime(when: datetime) -> str:
    """Render a timezone-aware time as OCPP sends it, e.g. ``2024-05-01T06:00:00.000Z``."""
    if when.tzinfo is None:
        raise ValueError(f"timestamp must be timezone-aware, got naive {when.isoformat()}")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ocpp_datetime(text: str, field: str) -> datetime:
    """Parse an OCPP date-time; one without an offset is taken as UTC, as OCPP requires UTC.

    Raises
    ------
    ValueError
        Naming ``field`` when ``text`` is not an ISO 8601 date-time.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field} is not an ISO 8601 date-time: {text!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
