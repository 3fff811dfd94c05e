"""Vehicles on site without a charger: 125 bays, 60 charge points.

Fleet managers (or a gate or bay-sensor system) report a vehicle waiting, with its next departure
and need; a plug-in or its leaving takes it out. The planner asks the optimiser which waiting
vehicle should be plugged in next, and where. Kept in memory: after a restart the yard is reported
again as vehicles move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    vehicle_id: str
    since: datetime
    departure_utc: datetime
    energy_needed_kwh: float
    priority: float


class Yard:
    def __init__(self) -> None:
        self._waiting: dict[str, WaitingEntry] = {}

    def arrive(self, entry: WaitingEntry) -> None:
        self._waiting[entry.vehicle_id] = entry

    def leave(self, vehicle_id: str) -> bool:
        """Take a vehicle out of the yard; False when it was not there."""
        return self._waiting.pop(vehicle_id, None) is not None

    def waiting(self) -> tuple[WaitingEntry, ...]:
        """Waiting vehicles, first come first."""
        return tuple(sorted(self._waiting.values(), key=lambda e: e.since))
