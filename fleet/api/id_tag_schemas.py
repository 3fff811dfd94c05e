"""Shapes of the id-tag store and the local authorisation lists in the API.

The IdTagInfo fields keep OCPP 1.6's meaning and, in snake_case, its names: ``status``,
``expiry_date`` (UTC), ``parent_id_tag``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fleet.persistence.id_tag_records import IdTagRecord, LocalListEntry, LocalListRecord
from ocpp_server.ports import IdTagInfo, IdTagStatus

IdTag = Annotated[str, Field(min_length=1, max_length=20)]
"""OCPP 1.6 IdToken (CiString20): compared case-insensitively."""
StoredStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]
MAX_LIST_ENTRIES = 10_000


class IdTagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_tag: IdTag
    status: StoredStatus = "Accepted"
    expiry_date: AwareDatetime | None = None
    """After this instant an Accepted tag answers Expired; chargers drop it from their cache then."""
    parent_id_tag: IdTag | None = None
    """The tag's group: a charger lets any tag of the group stop a transaction another one started."""
    fleet: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    description: Annotated[str, Field(max_length=200)] | None = None

    def record(self) -> IdTagRecord:
        info = IdTagInfo(IdTagStatus(self.status), self.expiry_date, self.parent_id_tag)
        return IdTagRecord(self.id_tag, info, fleet=self.fleet, description=self.description)


class IdTagUpdate(BaseModel):
    """The fields to change; ``null`` clears an expiry, a parent, a fleet or a description."""

    model_config = ConfigDict(extra="forbid")

    status: StoredStatus | None = None
    expiry_date: AwareDatetime | None = None
    parent_id_tag: IdTag | None = None
    fleet: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    description: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _status_is_not_cleared(self) -> Self:
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status cannot be null: give Accepted, Blocked, Expired or Invalid")
        return self

    def applied_to(self, record: IdTagRecord) -> IdTagRecord:
        given = self.model_fields_set
        info = IdTagInfo(
            IdTagStatus(self.status) if self.status is not None else record.info.status,
            self.expiry_date if "expiry_date" in given else record.info.expires_at,
            self.parent_id_tag if "parent_id_tag" in given else record.info.parent_id_tag,
        )
        return IdTagRecord(
            record.id_tag,
            info,
            fleet=self.fleet if "fleet" in given else record.fleet,
            description=self.description if "description" in given else record.description,
        )


class IdTagPublic(BaseModel):
    id_tag: str
    status: StoredStatus
    """As stored; an Accepted tag past its expiry answers Expired."""
    expiry_date: datetime | None
    parent_id_tag: str | None
    fleet: str | None
    description: str | None

    @classmethod
    def of(cls, record: IdTagRecord) -> IdTagPublic:
        return cls(
            id_tag=record.id_tag,
            status=record.info.status.value,
            expiry_date=record.info.expires_at,
            parent_id_tag=record.info.parent_id_tag,
            fleet=record.fleet,
            description=record.description,
        )


class LocalListEntryIn(BaseModel):
    """An id tag for a charger's list: with its IdTagInfo, or without (``status`` left out) to take
    what the central system answers for the tag now (id-tag store, vehicles' cards)."""

    model_config = ConfigDict(extra="forbid")

    id_tag: IdTag
    status: StoredStatus | None = None
    expiry_date: AwareDatetime | None = None
    parent_id_tag: IdTag | None = None

    @model_validator(mode="after")
    def _info_needs_status(self) -> Self:
        if self.status is None and (self.expiry_date is not None or self.parent_id_tag is not None):
            raise ValueError("expiry_date and parent_id_tag come with a status")
        return self

    def info(self) -> IdTagInfo | None:
        if self.status is None:
            return None
        return IdTagInfo(IdTagStatus(self.status), self.expiry_date, self.parent_id_tag)


class LocalListFullUpdate(BaseModel):
    """The charger's whole list (SendLocalList Full); ``[]`` empties it."""

    model_config = ConfigDict(extra="forbid")

    entries: Annotated[list[LocalListEntryIn], Field(max_length=MAX_LIST_ENTRIES)]


class LocalListDifferentialUpdate(BaseModel):
    """Changes to the charger's list (SendLocalList Differential); each tag at most once."""

    model_config = ConfigDict(extra="forbid")

    upsert: Annotated[list[LocalListEntryIn], Field(max_length=MAX_LIST_ENTRIES)] = []
    """Tags to add, or whose IdTagInfo to replace."""
    remove: Annotated[list[IdTag], Field(max_length=MAX_LIST_ENTRIES)] = []
    """Tags to take off the list."""

    @model_validator(mode="after")
    def _something_changes(self) -> Self:
        if not self.upsert and not self.remove:
            raise ValueError("give at least one tag to upsert or remove")
        return self


class LocalListEntryPublic(BaseModel):
    id_tag: str
    status: StoredStatus
    expiry_date: datetime | None
    parent_id_tag: str | None

    @classmethod
    def of(cls, entry: LocalListEntry) -> LocalListEntryPublic:
        return cls(
            id_tag=entry.id_tag,
            status=entry.info.status.value,
            expiry_date=entry.info.expires_at,
            parent_id_tag=entry.info.parent_id_tag,
        )


class LocalListPublic(BaseModel):
    """The list the charger last accepted; version 0 and no entries before the first update."""

    charge_point_id: str
    version: int
    updated_at: datetime | None
    entries: list[LocalListEntryPublic]

    @classmethod
    def of(cls, record: LocalListRecord) -> LocalListPublic:
        return cls(
            charge_point_id=record.charge_point_id,
            version=record.version,
            updated_at=record.updated_at,
            entries=[LocalListEntryPublic.of(entry) for entry in record.entries],
        )


class LocalListVersionPublic(BaseModel):
    charge_point_id: str
    stored_version: int
    """The version of the list the charger last accepted, as stored."""
    charger_version: int
    """What the charger answered to GetLocalListVersion (-1: it keeps no local list)."""
    matches: bool
    """False when the charger holds another list than the stored one: send a full update."""
