"""Reasons to re-plan, collected from anywhere and consumed by the control loop alone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TriggerBatch:
    reasons: tuple[str, ...]
    reconnected: frozenset[str]
    """Charge points that reconnected since the last batch: their profiles must be sent again."""


class PlanTriggers:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._reasons: list[str] = []
        self._reconnected: set[str] = set()

    def request_replan(self, reason: str) -> None:
        self._reasons.append(reason)
        self._event.set()

    def charger_reconnected(self, charge_point_id: str) -> None:
        self._reconnected.add(charge_point_id)
        self.request_replan(f"{charge_point_id} reconnected")

    async def wait(self) -> None:
        await self._event.wait()

    def take(self) -> TriggerBatch:
        """Everything requested so far; later requests start a new batch."""
        self._event.clear()
        batch = TriggerBatch(tuple(dict.fromkeys(self._reasons)), frozenset(self._reconnected))
        self._reasons.clear()
        self._reconnected.clear()
        return batch
