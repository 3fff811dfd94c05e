"""Local authorisation lists (OCPP 1.6 Local Auth List Management, 2.0.1 D01-D02), pure: updates as
SendLocalList messages.

A charger keeps a list of id tags with their IdTagInfo and the list's version, and authorises the
tags on it without asking the central system. The central system replaces the whole list (update
type Full) or changes some entries (Differential; an entry without IdTagInfo is removed), each time
giving the version the list has afterwards.

A charger may take fewer entries per message than a whole update holds (its
``SendLocalListMaxLength``): the update is then split, a Full one into a Full message with the first
entries and Differential ones with the rest, each raising the version by one, so that the charger's
list after the last message is the whole update. A 2.0.1 station may also limit a message's size
(``LocalAuthListCtrlr.BytesPerMessage``): entries then go into a message as long as it stays within
that many bytes (``MessageSize``). A list longer than the charger holds (``LocalAuthListMaxLength``)
is refused before anything is sent.

The messages are the same for both versions; ``wire_payload`` writes one in 1.6's shape,
``local_lists_v201`` in 2.0.1's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fleet.persistence.id_tag_records import LocalListEntry, id_tag_key
from ocpp_server.ports import IdTagInfo
from ocpp_server.timestamps import format_utc_timestamp

LIST_MAX_LENGTH_KEY = "LocalAuthListMaxLength"
SEND_MAX_LENGTH_KEY = "SendLocalListMaxLength"


class UpdateType(StrEnum):
    FULL = "Full"
    DIFFERENTIAL = "Differential"


class UpdateStatus(StrEnum):
    """The charger's answer to SendLocalList."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_SUPPORTED = "NotSupported"
    VERSION_MISMATCH = "VersionMismatch"


class ListTooLongError(ValueError):
    """The list would hold more entries than the charger takes (its LocalAuthListMaxLength)."""

    def __init__(self, entries: int, max_entries: int) -> None:
        super().__init__(f"the list would hold {entries} id tags; the charger holds at most {max_entries}")
        self.entries = entries
        self.max_entries = max_entries


@dataclass(frozen=True, slots=True)
class LocalListLimits:
    """What a charger says it takes; None where it did not say."""

    list_max_entries: int | None = None
    """LocalAuthListMaxLength: id tags the list holds at most."""
    send_max_entries: int | None = None
    """SendLocalListMaxLength (2.0.1: ItemsPerMessage): id tags one SendLocalList carries at most."""
    send_max_bytes: int | None = None
    """2.0.1's BytesPerMessage: the longest SendLocalList message, as sent [bytes]."""


@dataclass(frozen=True, slots=True)
class MessageSize:
    """How many bytes a SendLocalList message takes on the wire, from its parts."""

    overhead_bytes: int
    """The message without entries: the frame, the version, the update type, the empty list."""
    change_bytes: Callable[[ListChange], int]
    """One entry's bytes, with the comma separating it from the previous one."""


@dataclass(frozen=True, slots=True)
class ListChange:
    """One AuthorizationData of a SendLocalList: an id tag with its IdTagInfo, or without one (removed)."""

    id_tag: str
    info: IdTagInfo | None

    def wire(self) -> dict[str, Any]:
        if self.info is None:
            return {"idTag": self.id_tag}
        return {"idTag": self.id_tag, "idTagInfo": wire_id_tag_info(self.info)}


@dataclass(frozen=True, slots=True)
class SendLocalListMessage:
    update_type: UpdateType
    version: int
    """The list's version once the charger has applied this message."""
    changes: tuple[ListChange, ...]

    def wire_payload(self) -> dict[str, Any]:
        """The SendLocalList.req payload in wire form (camelCase)."""
        return {
            "listVersion": self.version,
            "updateType": self.update_type.value,
            "localAuthorizationList": [change.wire() for change in self.changes],
        }


def wire_id_tag_info(info: IdTagInfo) -> dict[str, Any]:
    """``info`` as OCPP 1.6 writes an IdTagInfo: fields not set are left out."""
    wire: dict[str, Any] = {"status": info.status.value}
    if info.expires_at is not None:
        wire["expiryDate"] = format_utc_timestamp(info.expires_at)
    if info.parent_id_tag is not None:
        wire["parentIdTag"] = info.parent_id_tag
    return wire


def full_update_messages(
    entries: Sequence[LocalListEntry], stored_version: int, limits: LocalListLimits, size: MessageSize | None = None
) -> list[SendLocalListMessage]:
    """The messages making ``entries`` the charger's whole list, from version ``stored_version`` + 1 on.

    Raises
    ------
    ListTooLongError
        If ``entries`` are more than the charger's list holds.
    """
    _check_length(len(entries), limits)
    changes = [ListChange(entry.id_tag, entry.info) for entry in entries]
    chunks = _chunks(changes, limits, size) or [[]]
    return [
        SendLocalListMessage(
            UpdateType.FULL if index == 0 else UpdateType.DIFFERENTIAL, stored_version + 1 + index, tuple(chunk)
        )
        for index, chunk in enumerate(chunks)
    ]


def differential_update_messages(
    current: Sequence[LocalListEntry],
    upserts: Sequence[LocalListEntry],
    removals: Iterable[str],
    stored_version: int,
    limits: LocalListLimits,
    size: MessageSize | None = None,
) -> list[SendLocalListMessage]:
    """The Differential messages adding or changing ``upserts`` and removing ``removals`` from ``current``.

    Raises
    ------
    ListTooLongError
        If the list afterwards holds more entries than the charger's list holds.
    """
    changes = [ListChange(entry.id_tag, entry.info) for entry in upserts]
    changes += [ListChange(id_tag, None) for id_tag in removals]
    after = apply_changes(current, changes)
    _check_length(len(after), limits)
    return [
        SendLocalListMessage(UpdateType.DIFFERENTIAL, stored_version + 1 + index, tuple(chunk))
        for index, chunk in enumerate(_chunks(changes, limits, size) or [[]])
    ]


def apply_message(current: Sequence[LocalListEntry], message: SendLocalListMessage) -> list[LocalListEntry]:
    """The list a charger holds after accepting ``message``, by ``id_tag_key``."""
    base: Sequence[LocalListEntry] = () if message.update_type is UpdateType.FULL else current
    return apply_changes(base, message.changes)


def apply_changes(current: Sequence[LocalListEntry], changes: Iterable[ListChange]) -> list[LocalListEntry]:
    """``current`` with each change applied in order: set the tag's IdTagInfo, or remove the tag."""
    by_key: Mapping[str, LocalListEntry] = {id_tag_key(entry.id_tag): entry for entry in current}
    merged = dict(by_key)
    for change in changes:
        if change.info is None:
            merged.pop(id_tag_key(change.id_tag), None)
        else:
            merged[id_tag_key(change.id_tag)] = LocalListEntry(change.id_tag, change.info)
    return [merged[key] for key in sorted(merged)]


def limits_from_configuration(payload: Mapping[str, Any]) -> LocalListLimits:
    """The limits in a GetConfiguration.conf payload; a key missing or not a count is not known."""
    values: dict[str, int] = {}
    for item in payload.get("configurationKey") or []:
        if not isinstance(item, Mapping):
            continue
        key, value = item.get("key"), item.get("value")
        if key in (LIST_MAX_LENGTH_KEY, SEND_MAX_LENGTH_KEY) and isinstance(value, str) and value.strip().isdigit():
            count = int(value.strip())
            if count > 0:
                values[key] = count
    return LocalListLimits(values.get(LIST_MAX_LENGTH_KEY), values.get(SEND_MAX_LENGTH_KEY))


def _check_length(entries: int, limits: LocalListLimits) -> None:
    if limits.list_max_entries is not None and entries > limits.list_max_entries:
        raise ListTooLongError(entries, limits.list_max_entries)


def _chunks(changes: list[ListChange], limits: LocalListLimits, size: MessageSize | None) -> list[list[ListChange]]:
    """``changes`` in order, as few to a message as the charger's limits allow; an entry too long for
    a message of its own is sent alone (the charger then refuses it, and the update stops there)."""
    max_bytes = None if size is None else limits.send_max_bytes
    chunks: list[list[ListChange]] = []
    current: list[ListChange] = []
    current_bytes = 0 if size is None else size.overhead_bytes
    for change in changes:
        change_bytes = 0 if size is None else size.change_bytes(change)
        full = limits.send_max_entries is not None and len(current) >= limits.send_max_entries
        too_long = max_bytes is not None and current_bytes + change_bytes > max_bytes
        if current and (full or too_long):
            chunks.append(current)
            current, current_bytes = [], 0 if size is None else size.overhead_bytes
        current.append(change)
        current_bytes += change_bytes
    if current:
        chunks.append(current)
    return chunks
