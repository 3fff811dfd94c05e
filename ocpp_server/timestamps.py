"""OCPP timestamps: parsed once at the edge into tz-aware UTC, written back as ISO-8601 with 'Z'."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpp_server.errors import InvalidPayloadError


def parse_utc_timestamp(text: str, field: str) -> datetime:
    """Parse an OCPP dateTime into a tz-aware UTC datetime.

    Parameters
    ----------
    text
        ISO-8601 date and time as the charger sent it, with 'Z', an offset, or no zone at all.
    field
        Name of the payload field, used in the error message.

    Returns
    -------
    datetime
        The instant in UTC. A timestamp without a zone is taken as UTC, which OCPP mandates and
        which is what chargers that drop the 'Z' mean.

    Raises
    ------
    InvalidPayloadError
        If ``text`` is not an ISO-8601 date and time.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError) as error:
        raise InvalidPayloadError(f"{field}: {text!r} is not an ISO-8601 date and time") from error
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def require_utc(moment: datetime, what: str) -> datetime:
    """Return ``moment`` in UTC; a naive datetime is refused because its zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def format_utc_timestamp(moment: datetime) -> str:
    """Format an aware datetime as OCPP expects: UTC, millisecond precision, 'Z' suffix.

    Milliseconds rather than microseconds because several charger firmwares reject longer
    fractions.
    """
    utc = require_utc(moment, "timestamp")
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
