"""A simulated charge point's local authorisation list (OCPP 1.6, Local Auth List Management).

The list and its version survive reconnects and reboots of the simulated charger (a real charger
keeps them in non-volatile memory), and it holds at most ``max_length`` id tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ACCEPTED = "Accepted"
FAILED = "Failed"
VERSION_MISMATCH = "VersionMismatch"


@dataclass
class LocalAuthList:
    """The id tags a charger may authorise on its own, with the version the central system gave them.

    Parameters
    ----------
    max_length
        LocalAuthListMaxLength: the most id tags the list holds.
    """

    max_length: int
    version: int = 0
    """0: no list has been sent yet (what GetLocalListVersion answers then)."""
    entries: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """idTagInfo (snake_case keys) by id tag."""

    def update(self, list_version: int, update_type: str, items: Sequence[Mapping[str, Any]]) -> str:
        """Apply SendLocalList.req; returns the UpdateStatus of SendLocalList.conf.

        A Full update replaces the list; a Differential one adds or replaces the entries with an
        ``id_tag_info`` and removes those without. A Differential update must carry a version above
        the current one (VersionMismatch otherwise); a list that would exceed ``max_length`` is
        refused as Failed and nothing changes.
        """
        if update_type == "Differential" and list_version <= self.version:
            return VERSION_MISMATCH
        updated: dict[str, Mapping[str, Any]] = {} if update_type == "Full" else dict(self.entries)
        for item in items:
            id_tag = str(item["id_tag"])
            info = item.get("id_tag_info")
            if info is None:
                updated.pop(id_tag, None)
            else:
                updated[id_tag] = info
        if len(updated) > self.max_length:
            return FAILED
        self.entries = updated
        self.version = list_version
        return ACCEPTED
