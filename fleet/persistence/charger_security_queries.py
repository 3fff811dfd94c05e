"""Queries on chargers' credentials (security profiles, Basic-auth password hashes) and issued certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import ChargerCertificateRow, ChargerCredentialsRow


@dataclass(frozen=True, slots=True)
class ChargerCredentialsRecord:
    charge_point_id: str
    password_hash: str | None
    """Argon2id PHC string; None while no password was set."""
    password_set_at: datetime | None
    minimum_security_profile: int | None
    """Set through the API; None leaves the site file's value in force."""
    last_security_profile: int | None
    """The security profile of the latest admitted connection."""
    last_connected_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedCertificateRecord:
    serial: str
    """Upper-case hexadecimal."""
    charge_point_id: str
    common_name: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime


async def credentials(session: AsyncSession, charge_point_id: str) -> ChargerCredentialsRecord | None:
    row = await session.get(ChargerCredentialsRow, charge_point_id)
    if row is None:
        return None
    return ChargerCredentialsRecord(
        charge_point_id=row.charge_point_id,
        password_hash=row.password_hash,
        password_set_at=row.password_set_at,
        minimum_security_profile=row.minimum_security_profile,
        last_security_profile=row.last_security_profile,
        last_connected_at=row.last_connected_at,
    )


async def update_credentials(session: AsyncSession, charge_point_id: str, changes: dict[str, Any]) -> None:
    """Insert the charger's row with ``changes`` (column -> value), or change those columns only."""
    insert = conflict_insert(session, ChargerCredentialsRow).values(charge_point_id=charge_point_id, **changes)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[ChargerCredentialsRow.charge_point_id], set_=changes)
    )


async def add_certificate(session: AsyncSession, certificate: IssuedCertificateRecord) -> None:
    session.add(
        ChargerCertificateRow(
            serial=certificate.serial,
            charge_point_id=certificate.charge_point_id,
            common_name=certificate.common_name,
            not_before=certificate.not_before,
            not_after=certificate.not_after,
            issued_at=certificate.issued_at,
        )
    )


async def certificates(session: AsyncSession, charge_point_id: str) -> list[IssuedCertificateRecord]:
    rows = await session.scalars(
        select(ChargerCertificateRow)
        .where(ChargerCertificateRow.charge_point_id == charge_point_id)
        .order_by(ChargerCertificateRow.issued_at.desc(), ChargerCertificateRow.serial)
    )
    return [
        IssuedCertificateRecord(
            serial=row.serial,
            charge_point_id=row.charge_point_id,
            common_name=row.common_name,
            not_before=row.not_before,
            not_after=row.not_after,
            issued_at=row.issued_at,
        )
        for row in rows
    ]
