"""What the id-tag store and the local authorisation lists take and return: frozen records.

OCPP 1.6 id tags are CiString20: at most 20 characters, compared case-insensitively. The spec names
no alphabet; chargers' tags are ASCII (card UIDs in hex, printed numbers), so the letters A-Z are
folded to a-z (``id_tag_key``) and every other character compares as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleet.persistence.checks import require_text, require_utc
from fleet.persistence.errors import InvalidValueError
from ocpp_server.ports import IdTagInfo, IdTagStatus

ID_TAG_MAX_CHARS = 20
"""OCPP 1.6 IdToken: CiString20Type."""

STORED_STATUSES = frozenset({IdTagStatus.ACCEPTED, IdTagStatus.BLOCKED, IdTagStatus.EXPIRED, IdTagStatus.INVALID})
"""ConcurrentTx describes a moment, not a tag: it is never stored."""

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def id_tag_key(id_tag: str) -> str:
    """``id_tag`` with A-Z folded to a-z: two tags are the same tag when their keys are equal."""
    return id_tag.translate(_ASCII_FOLD)


def require_id_tag(field: str, id_tag: str) -> str:
    """Return ``id_tag`` if it is a non-empty string of at most 20 characters."""
    require_text(field, id_tag)
    if len(id_tag) > ID_TAG_MAX_CHARS:
        raise InvalidValueError(field, f"at most {ID_TAG_MAX_CHARS} characters (CiString20), got {len(id_tag)}")
    return id_tag


def require_id_tag_info(field: str, info: IdTagInfo) -> IdTagInfo:
    """Return ``info`` with its expiry in UTC, if its status can be stored and its parent is a tag."""
    if info.status not in STORED_STATUSES:
        raise InvalidValueError(f"{field}.status", f"must be one of {sorted(STORED_STATUSES)}, got {info.status!r}")
    if info.parent_id_tag is not None:
        require_id_tag(f"{field}.parent_id_tag", info.parent_id_tag)
    expires_at = None if info.expires_at is None else require_utc(f"{field}.expires_at", info.expires_at)
    return IdTagInfo(info.status, expires_at, info.parent_id_tag)


@dataclass(frozen=True, slots=True)
class IdTagRecord:
    """An id tag in the store: what the central system answers for it, and whose it is."""

    id_tag: str
    info: IdTagInfo
    """The stored status (never ConcurrentTx), expiry and parent tag."""
    fleet: str | None = None
    """The fleet the card belongs to, when it belongs to one."""
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TagTransaction:
    """A transaction not stopped yet that carries a given id tag, with its connector's latest status."""

    transaction_id: int
    charge_point_id: str
    connector_id: int
    started_at: datetime
    connector_status: str | None
    connector_status_at: datetime | None


@dataclass(frozen=True, slots=True)
class IdTagLookup:
    """Everything the site knows about one presented id tag (compared case-insensitively)."""

    entry: IdTagRecord | None
    """The id-tag store's entry, None when the store does not know the tag."""
    vehicle_id: str | None
    """The vehicle holding the tag as its first or a further card, None when none does."""
    open_transactions: tuple[TagTransaction, ...] = ()
    """Transactions not stopped yet that carry the tag, oldest first."""


@dataclass(frozen=True, slots=True)
class LocalListEntry:
    """One id tag of a local authorisation list and the IdTagInfo the charger holds for it."""

    id_tag: str
    info: IdTagInfo


@dataclass(frozen=True, slots=True)
class LocalListRecord:
    """The local authorisation list a charger last accepted, and its version.

    A charger never sent a list holds version 0 and no entries (OCPP 1.6: 0 is the empty list).
    """

    charge_point_id: str
    version: int
    entries: tuple[LocalListEntry, ...]
    """By ``id_tag_key``."""
    updated_at: datetime | None
