"""How the application reaches the chargers: one interface, whether they are in this process or not.

``LocalChargers`` is the embedded default: the OCPP server runs in this process. ``RemoteChargers``
(``fleet.bus``) sends the same requests to the gateway node holding the charger. Nothing else in
the application knows which one it has.
"""

from __future__ import annotations

from typing import Any, Protocol

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import CommandResult, ConnectorElectrical, PowerLimitProfile, ProfilePurpose
from ocpp_server.message_trace import TracedFrame
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer


class Chargers(Protocol):
    def connected_ids(self) -> frozenset[str]:
        """Charge point ids with an open connection."""
        ...

    async def recent_frames(self, charge_point_id: str) -> tuple[TracedFrame, ...]:
        """The charger's last frames in both directions, oldest first."""
        ...

    async def set_charging_profile(
        self,
        charge_point_id: str,
        profile: PowerLimitProfile,
        electrical: ConnectorElectrical,
        *,
        max_periods: int | None = None,
    ) -> CommandResult: ...

    async def clear_charging_profile(
        self,
        charge_point_id: str,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> CommandResult: ...

    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer: ...


class LocalChargers:
    """The chargers of this process's own OCPP server."""

    def __init__(self, central: CentralSystem) -> None:
        self._central = central
        self.connected_ids = central.connected_ids
        self.set_charging_profile = central.set_charging_profile
        self.clear_charging_profile = central.clear_charging_profile
        self.send_call = central.send_call

    async def recent_frames(self, charge_point_id: str) -> tuple[TracedFrame, ...]:
        return self._central.recent_frames(charge_point_id)
