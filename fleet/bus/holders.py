"""Which gateway holds which charger, as the controller learns it from events and gateways' words."""

from __future__ import annotations

import time
from collections.abc import Callable

from fleet.bus.codec import GatewayAlive
from fleet.bus.gateway_commands import ALIVE_INTERVAL_S

LOST_AFTER_S = 3 * ALIVE_INTERVAL_S
"""A gateway not heard for this long is gone, and its chargers with it."""
RECLAIM_HOLDOFF_S = 2 * ALIVE_INTERVAL_S
"""A gateway's word older than a disconnect may still name the charger: it is not taken at its word
for this long after the disconnect."""


class ChargerHolders:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._holder: dict[str, str] = {}
        self._heard_at: dict[str, float] = {}
        self._released_at: dict[str, float] = {}

    def holder(self, charge_point_id: str) -> str | None:
        return self._holder.get(charge_point_id)

    def connected_ids(self) -> frozenset[str]:
        return frozenset(self._holder)

    def connected(self, charge_point_id: str, gateway_id: str) -> None:
        """The gateway admitted the charger: it holds it now, whoever held it before."""
        self._holder[charge_point_id] = gateway_id
        self._heard_at.setdefault(gateway_id, self._monotonic())

    def disconnected(self, charge_point_id: str, gateway_id: str) -> bool:
        """Whether the disconnect stands: False when another gateway holds the charger by now
        (it moved, and the old gateway noticed the dead socket only later)."""
        current = self._holder.get(charge_point_id)
        if current is not None and current != gateway_id:
            return False
        self._holder.pop(charge_point_id, None)
        self._released_at[charge_point_id] = self._monotonic()
        return True

    def heard(self, word: GatewayAlive) -> list[str]:
        """A gateway lives; chargers it holds that nobody is known to hold are its (a controller
        that restarted learns this way where the chargers are). Returns those chargers."""
        now = self._monotonic()
        self._heard_at[word.gateway_id] = now
        found: list[str] = []
        for charge_point_id in word.charge_point_ids:
            if charge_point_id in self._holder:
                continue
            if now - self._released_at.get(charge_point_id, -RECLAIM_HOLDOFF_S) < RECLAIM_HOLDOFF_S:
                continue
            self._holder[charge_point_id] = word.gateway_id
            found.append(charge_point_id)
        return found

    def lost(self) -> dict[str, list[str]]:
        """Gateways not heard for ``LOST_AFTER_S``, each with the chargers it held; forgets them."""
        now = self._monotonic()
        gone = [g for g, at in self._heard_at.items() if now - at > LOST_AFTER_S]
        lost: dict[str, list[str]] = {}
        for gateway_id in gone:
            del self._heard_at[gateway_id]
            held = sorted(cp for cp, g in self._holder.items() if g == gateway_id)
            for charge_point_id in held:
                self.disconnected(charge_point_id, gateway_id)
            lost[gateway_id] = held
        return lost

    def gateways(self) -> frozenset[str]:
        return frozenset(self._heard_at)
