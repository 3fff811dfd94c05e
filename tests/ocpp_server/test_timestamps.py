"""OCPP timestamps in and out: always UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp_server.errors import InvalidPayloadError
from ocpp_server.timestamps import format_utc_timestamp, parse_utc_timestamp


@pytest.mark.parametrize(
    "text",
    ["2025-06-02T10:00:00Z", "2025-06-02T12:00:00+02:00", "2025-06-02T10:00:00", "2025-06-02T10:00:00.000Z"],
)
def test_parsed_timestamps_are_utc(text: str) -> None:
    parsed = parse_utc_timestamp(text, "timestamp")

    assert parsed == datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_an_unreadable_timestamp_names_its_field() -> None:
    with pytest.raises(InvalidPayloadError, match=r"meterStart.*'soon'"):
        parse_utc_timestamp("soon", "meterStart")


def test_formatted_timestamps_are_utc_with_milliseconds_and_z() -> None:
    cest = timezone(timedelta(hours=2))
    moment = datetime(2025, 6, 2, 12, 0, 1, 234567, tzinfo=cest)

    assert format_utc_timestamp(moment) == "2025-06-02T10:00:01.234Z"


def test_a_naive_datetime_is_not_formatted() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_utc_timestamp(datetime(2025, 6, 2, 10, 0))
