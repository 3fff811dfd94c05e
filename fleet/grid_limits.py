"""Temporary grid import limits (a grid operator's request) laid on the planner's slot grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from fleet.persistence.records import GridLimitRecord


def slot_caps_kw(
    limits: Sequence[GridLimitRecord], slot_starts: Sequence[datetime], slot_duration_h: Sequence[float]
) -> tuple[float, ...] | None:
    """The temporary import cap of each slot [kW], ``inf`` where none applies; ``None`` without limits.

    A limit that covers any part of a slot caps the whole slot: the plan holds one power per slot,
    so only the lower value keeps the site under the limit for all of it. Overlapping limits: the
    lowest wins.
    """
    if not limits:
        return None
    caps = []
    for start, duration_h in zip(slot_starts, slot_duration_h, strict=True):
        end = start + timedelta(hours=duration_h)
        overlapping = [lim.limit_kw for lim in limits if lim.starts_at < end and lim.ends_at > start]
        caps.append(min(overlapping, default=math.inf))
    return tuple(caps)


def limit_now_kw(connection_limit_kw: float, limits: Sequence[GridLimitRecord], now: datetime) -> float:
    """The import limit in force at ``now`` [kW]: the connection's, or a lower temporary one."""
    active = [lim.limit_kw for lim in limits if lim.starts_at <= now < lim.ends_at]
    return min([connection_limit_kw, *active])
