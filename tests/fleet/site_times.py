"""Instants for tests whose plans depend on the hour (use with ``@pytest.mark.site_time``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleet.clock import Clock
from ocpp_server.simulator.clock import ScaledClock

NIGHT_UTC = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
"""02:00 in Milan on a Tuesday: the base load near its lowest and no PV. By day the base load
(up to 120 kW) fills the 108 kW the plan may use while 59 connectors stand idle, each keeping room
for its fail-safe limit, and a plan can charge little or nothing until the evening."""


def marked_clock(request: pytest.FixtureRequest) -> Clock | None:
    """For a test marked ``site_time(start_utc)``, a clock that starts there and runs at real
    speed; None (the system's clock) otherwise."""
    marker = request.node.get_closest_marker("site_time")
    return None if marker is None else ScaledClock(start_utc=marker.args[0], speedup=1.0)
