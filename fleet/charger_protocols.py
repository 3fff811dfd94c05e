"""Which OCPP a charger is spoken to in: the version it last connected with, as the store recorded it.

The API and the gateway holding a charger's websocket may be different processes (scale-out), so
the version is read from the store, not from the central system's sessions. OCPP 2.1 stations are
served by the 2.0.1 core and are sent 2.0.1 messages. A charger never seen (or seen before the
version was recorded) is taken as 1.6: a command to it then fails as "not connected" in any case,
and one whose record is stale (it came back with another version) is refused by the central system
as not in its protocol, never sent in the wrong shape.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class OcppFamily(StrEnum):
    """The message set a charger is sent."""

    V16 = "1.6"
    V201 = "2.0.1"
    """2.0.1, and 2.1 served by the 2.0.1 core."""


_V201_VERSIONS = frozenset({"2.0.1", "2.1"})


def family_of(ocpp_version: str | None) -> OcppFamily:
    """The family of a recorded version ("1.6", "2.0.1", "2.1"); unknown or None is 1.6."""
    return OcppFamily.V201 if ocpp_version in _V201_VERSIONS else OcppFamily.V16


class ChargePointDirectory(Protocol):
    """Where chargers' connections are recorded (the store)."""

    async def charge_point_ocpp_version(self, charge_point_id: str) -> str | None: ...


class RecordedVersions:
    """Each charger's OCPP family as recorded on its latest connection."""

    def __init__(self, directory: ChargePointDirectory) -> None:
        self._directory = directory

    async def family(self, charge_point_id: str) -> OcppFamily:
        return family_of(await self._directory.charge_point_ocpp_version(charge_point_id))
