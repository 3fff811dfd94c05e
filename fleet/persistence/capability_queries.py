"""Chargers' reported capabilities and the charging profiles they should hold (``Store.capabilities``).

It shares the ``Store``'s engine, sessions and write queue; every write is committed before its
method returns. Profiles are kept in kW, as dispatch decided them: the edge converts them to each
charger's unit when it sends them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_

from fleet.persistence.access_store import SessionScope
from fleet.persistence.checks import require_text, require_utc
from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import ChargerCapabilitiesRow, DesiredProfileRow
from ocpp_server.capabilities import ChargerCapabilities, parse_configuration
from ocpp_server.commands import PowerLimitProfile, PowerPeriod, ProfilePurpose


@dataclass(frozen=True, slots=True)
class ReportedCapabilities:
    """A charger's latest GetConfiguration answer: as written, and read into the typed record."""

    charge_point_id: str
    configuration: dict[str, str | None]
    unknown_keys: tuple[str, ...]
    capabilities: ChargerCapabilities


@dataclass(frozen=True, slots=True)
class DesiredProfile:
    """A TxProfile a connector should hold and how the charger last answered it."""

    charge_point_id: str
    connector_id: int
    profile: PowerLimitProfile
    decided_at: datetime
    last_status: str | None
    """The CommandStatus of the latest attempt; None before the first."""
    last_attempt_at: datetime | None

    @property
    def connector_key(self) -> str:
        return f"{self.charge_point_id}/{self.connector_id}"


def profile_document(profile: PowerLimitProfile) -> dict[str, Any]:
    """``profile`` as JSON: the stored form of a desired profile."""
    return {
        "profile_id": profile.profile_id,
        "purpose": profile.purpose.value,
        "stack_level": profile.stack_level,
        "connector_id": profile.connector_id,
        "start_utc": None if profile.start_utc is None else profile.start_utc.isoformat(),
        "duration_s": profile.duration_s,
        "periods": [[p.start_offset_s, p.limit_kw] for p in profile.periods],
        "transaction_id": profile.transaction_id,
    }


def profile_from_document(document: Mapping[str, Any]) -> PowerLimitProfile:
    start = document["start_utc"]
    return PowerLimitProfile(
        profile_id=int(document["profile_id"]),
        purpose=ProfilePurpose(document["purpose"]),
        stack_level=int(document["stack_level"]),
        connector_id=int(document["connector_id"]),
        start_utc=None if start is None else datetime.fromisoformat(start),
        duration_s=document["duration_s"],
        periods=tuple(PowerPeriod(int(offset), float(limit)) for offset, limit in document["periods"]),
        transaction_id=document["transaction_id"],
    )


class CapabilityStore:
    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def save_reported(
        self,
        charge_point_id: str,
        read_at: datetime,
        configuration: Mapping[str, str | None],
        unknown_keys: Sequence[str],
    ) -> None:
        """Keep a charger's GetConfiguration answer, replacing the one before."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        read_at = require_utc("read_at", read_at)
        reported = {"configuration": dict(configuration), "unknown_keys": list(unknown_keys)}
        async with self._writing() as session:
            insert = conflict_insert(session, ChargerCapabilitiesRow).values(
                charge_point_id=charge_point_id, read_at=read_at, reported=reported
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[ChargerCapabilitiesRow.charge_point_id],
                    set_={"read_at": read_at, "reported": reported},
                )
            )

    async def reported(self) -> dict[str, ReportedCapabilities]:
        """Every charger's latest answer, by charge point id."""
        async with self._reading() as session:
            rows = await session.scalars(select(ChargerCapabilitiesRow))
            return {row.charge_point_id: _reported(row) for row in rows}

    async def set_desired(self, profiles: Mapping[str, PowerLimitProfile], decided_at: datetime) -> None:
        """The TxProfile each charging connector ("CP/1") should now hold; every other connector holds none.

        A connector whose profile is unchanged keeps the status of its latest attempt.
        """
        decided_at = require_utc("decided_at", decided_at)
        async with self._writing() as session:
            existing = {
                (row.charge_point_id, row.connector_id): row for row in await session.scalars(select(DesiredProfileRow))
            }
            wanted: dict[tuple[str, int], PowerLimitProfile] = {}
            for key, profile in profiles.items():
                charge_point_id, connector = key.rsplit("/", 1)
                wanted[(charge_point_id, int(connector))] = profile
            gone = [key for key in existing if key not in wanted]
            if gone:
                await session.execute(
                    delete(DesiredProfileRow).where(
                        tuple_(DesiredProfileRow.charge_point_id, DesiredProfileRow.connector_id).in_(gone)
                    )
                )
            for (charge_point_id, connector_id), profile in wanted.items():
                document = profile_document(profile)
                row = existing.get((charge_point_id, connector_id))
                if row is None:
                    session.add(
                        DesiredProfileRow(
                            charge_point_id=charge_point_id,
                            connector_id=connector_id,
                            transaction_id=profile.transaction_id or 0,
                            profile=document,
                            decided_at=decided_at,
                            last_status=None,
                            last_attempt_at=None,
                        )
                    )
                elif row.profile != document:
                    row.profile = document
                    row.transaction_id = profile.transaction_id or 0
                    row.decided_at = decided_at
                    row.last_status = None
                    row.last_attempt_at = None

    async def record_attempt(self, connector_key: str, profile: PowerLimitProfile, status: str, at: datetime) -> None:
        """How the charger answered ``profile``; ignored if the connector's desired profile has changed since."""
        charge_point_id, connector = connector_key.rsplit("/", 1)
        at = require_utc("at", at)
        async with self._writing() as session:
            row = await session.get(DesiredProfileRow, (charge_point_id, int(connector)))
            # JSON has no equality in PostgreSQL: compare here rather than in the WHERE clause.
            if row is not None and row.profile == profile_document(profile):
                row.last_status = status
                row.last_attempt_at = at

    async def desired(self, charge_point_ids: Collection[str] | None = None) -> list[DesiredProfile]:
        """The desired profiles of these chargers (all if None), by charger and connector."""
        statement = select(DesiredProfileRow).order_by(
            DesiredProfileRow.charge_point_id, DesiredProfileRow.connector_id
        )
        if charge_point_ids is not None:
            statement = statement.where(DesiredProfileRow.charge_point_id.in_(list(charge_point_ids)))
        async with self._reading() as session:
            return [
                DesiredProfile(
                    charge_point_id=row.charge_point_id,
                    connector_id=row.connector_id,
                    profile=profile_from_document(row.profile),
                    decided_at=row.decided_at,
                    last_status=row.last_status,
                    last_attempt_at=row.last_attempt_at,
                )
                for row in await session.scalars(statement)
            ]


def _reported(row: ChargerCapabilitiesRow) -> ReportedCapabilities:
    configuration = {str(k): None if v is None else str(v) for k, v in row.reported.get("configuration", {}).items()}
    unknown = tuple(str(key) for key in row.reported.get("unknown_keys", []))
    return ReportedCapabilities(
        charge_point_id=row.charge_point_id,
        configuration=configuration,
        unknown_keys=unknown,
        capabilities=parse_configuration(configuration, unknown, row.read_at),
    )
