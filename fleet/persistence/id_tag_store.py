"""The authorisation part of the store: the id-tag store and each charger's local authorisation list.

It shares the ``Store``'s engine, sessions and write queue (``Store.id_tags``); every write is
committed before its method returns. Id tags are compared case-insensitively (``id_tag_key``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from fleet.persistence import id_tag_queries
from fleet.persistence.access_store import SessionScope
from fleet.persistence.checks import require_text, require_utc
from fleet.persistence.errors import InvalidValueError
from fleet.persistence.id_tag_records import (
    IdTagLookup,
    IdTagRecord,
    LocalListEntry,
    LocalListRecord,
    id_tag_key,
    require_id_tag,
    require_id_tag_info,
)
from ocpp_server.ports import IdTagStatus


class IdTagStore:
    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def add_id_tag(self, record: IdTagRecord) -> bool:
        """Store a new id tag; ``False`` (nothing stored) when it is stored already in any letter case.

        Raises
        ------
        InvalidValueError
            If the tag or its parent is longer than 20 characters, the status is ConcurrentTx or the
            expiry is naive.
        """
        checked = _checked(record)
        async with self._writing() as session:
            return await id_tag_queries.add_id_tag(session, checked)

    async def get_id_tag(self, id_tag: str) -> IdTagRecord | None:
        async with self._reading() as session:
            return await id_tag_queries.get_id_tag(session, id_tag)

    async def list_id_tags(
        self, *, status: IdTagStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[IdTagRecord]:
        """Stored tags by ``id_tag_key``, optionally only those stored with ``status``."""
        for field, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidValueError(field, f"must be an integer >= 0, got {value!r}")
        async with self._reading() as session:
            return await id_tag_queries.list_id_tags(session, status, limit, offset)

    async def replace_id_tag(self, record: IdTagRecord) -> bool:
        """Overwrite a stored tag's answer and owner (found in any letter case); ``False`` if not stored."""
        checked = _checked(record)
        async with self._writing() as session:
            return await id_tag_queries.replace_id_tag(session, checked)

    async def delete_id_tag(self, id_tag: str) -> bool:
        """Forget a tag (in any letter case); ``False`` if it was not stored."""
        async with self._writing() as session:
            return await id_tag_queries.delete_id_tag(session, id_tag)

    async def lookup(self, id_tag: str) -> IdTagLookup:
        """The store's entry, the vehicle holding the tag and its open transactions, in one read."""
        async with self._reading() as session:
            return await id_tag_queries.lookup(session, id_tag)

    async def local_list(self, charge_point_id: str) -> LocalListRecord:
        """The list the charger last accepted; version 0 and no entries if it never accepted one."""
        async with self._reading() as session:
            return await id_tag_queries.local_list(session, charge_point_id)

    async def save_local_list(
        self, charge_point_id: str, version: int, entries: Sequence[LocalListEntry], updated_at: datetime
    ) -> LocalListRecord:
        """Record that the charger now holds exactly ``entries`` as list ``version``.

        Raises
        ------
        InvalidValueError
            If the version is negative, a tag appears twice (in any letter case) or an entry is
            invalid as for ``add_id_tag``.
        """
        charge_point_id = require_text("charge_point_id", charge_point_id)
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidValueError("version", f"must be an integer >= 0, got {version!r}")
        updated_at = require_utc("updated_at", updated_at)
        checked = [
            LocalListEntry(
                require_id_tag(f"entries[{index}].id_tag", entry.id_tag),
                require_id_tag_info(f"entries[{index}]", entry.info),
            )
            for index, entry in enumerate(entries)
        ]
        counts = Counter(id_tag_key(entry.id_tag) for entry in checked)
        repeated = sorted(key for key, count in counts.items() if count > 1)
        if repeated:
            raise InvalidValueError("entries", f"id tags given more than once (letter case aside): {repeated}")
        checked.sort(key=lambda entry: id_tag_key(entry.id_tag))
        async with self._writing() as session:
            await id_tag_queries.save_local_list(session, charge_point_id, version, checked, updated_at)
        return LocalListRecord(charge_point_id, version, tuple(checked), updated_at)


def _checked(record: IdTagRecord) -> IdTagRecord:
    return IdTagRecord(
        require_id_tag("id_tag", record.id_tag),
        require_id_tag_info("info", record.info),
        fleet=record.fleet,
        description=record.description,
    )
