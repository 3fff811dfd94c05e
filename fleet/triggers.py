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
        self._requests = 0
        """Requests ever made: ``settle`` sees from it whether one came while it slept."""

    def request_replan(self, reason: str) -> None:
        self._requests += 1
        self._reasons.append(reason)
        self._event.set()

    def charger_reconnected(self, charge_point_id: str) -> None:
        self._reconnected.add(charge_point_id)
        self.request_replan(f"{charge_point_id} reconnected")

    async def wait(self) -> None:
        await self._event.wait()

    async def settle(self, quiet_s: float, longest_s: float) -> None:
        """Return once no request came for ``quiet_s`` [s], or ``longest_s`` [s] after the call."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + longest_s
        while True:
            seen = self._requests
            await asyncio.sleep(max(0.0, min(quiet_s, deadline - loop.time())))
            if self._requests == seen or loop.time() >= deadline:
                return

    def take(self) -> TriggerBatch:
        """Everything requested so far; later requests start a new batch."""
        self._event.clear()
        batch = TriggerBatch(tuple(dict.fromkeys(self._reasons)), frozenset(self._reconnected))
        self._reasons.clear()
        self._reconnected.clear()
        return batch
