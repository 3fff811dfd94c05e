"""A charging profile as a charger received it, read the way a charger applies it.

Shared by the library-made chargers of the end-to-end tests and the fault benchmark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def camel_keys(value: Any) -> Any:
    """The wire's camelCase, whichever case the library handed us."""
    if isinstance(value, dict):
        return {(_camel(k) if "_" in k else k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


@dataclass(frozen=True)
class ReceivedProfile:
    connector_id: int
    profile: dict[str, Any]

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def schedule(self) -> dict[str, Any]:
        schedule: dict[str, Any] = self.profile["chargingSchedule"]
        return schedule

    def limit_kw_at(self, at: datetime, voltage_v: float = 230.0, relative_to: datetime | None = None) -> float | None:
        """The profile's limit at ``at`` in kW, None outside its schedule.

        A Relative profile counts from ``relative_to`` (the transaction's start); without one, an
        open-ended Relative profile holds whenever it is asked.
        """
        start = self.schedule.get("startSchedule")
        if self.profile.get("chargingProfileKind") == "Relative" or start is None:
            offset_s = (at - relative_to).total_seconds() if relative_to is not None else float("inf")
        else:
            offset_s = (at - datetime.fromisoformat(re.sub("Z$", "+00:00", start))).total_seconds()
        duration_s = self.schedule.get("duration")
        if offset_s < 0 or (duration_s is not None and offset_s >= duration_s):
            return None
        current: dict[str, Any] | None = None
        for period in self.schedule["chargingSchedulePeriod"]:
            if period["startPeriod"] <= offset_s:
                current = period
        if current is None:
            return None
        if self.schedule["chargingRateUnit"] == "W":
            return float(current["limit"]) / 1000.0
        return float(current["limit"]) * voltage_v * int(current.get("numberPhases", 3)) / 1000.0
