"""Queries on accounts, issued tokens, the audit log and idempotent answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence.access_records import (
    AccessTokenRecord,
    AccountKind,
    AccountRecord,
    AuditRecord,
    IdempotentAnswer,
)
from fleet.persistence.dialect_insert import conflict_insert
from fleet.persistence.models import AccessTokenRow, AccountRow, AuditRow, IdempotentAnswerRow


async def add_account(session: AsyncSession, account: AccountRecord) -> bool:
    """Insert ``account``; ``False`` (and nothing written) when the name is taken."""
    statement = (
        conflict_insert(session, AccountRow)
        .values(
            name=account.name,
            kind=str(account.kind),
            role=account.role,
            fleet=account.fleet,
            secret_hash=account.secret_hash,
            created_at=account.created_at,
        )
        .on_conflict_do_nothing(index_elements=[AccountRow.name])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def get_account(session: AsyncSession, name: str) -> AccountRecord | None:
    row = await session.get(AccountRow, name)
    return None if row is None else _account(row)


async def list_accounts(session: AsyncSession) -> list[AccountRecord]:
    return [_account(row) for row in await session.scalars(select(AccountRow).order_by(AccountRow.name))]


async def delete_account(session: AsyncSession, name: str) -> bool:
    # Tokens go with the account (ON DELETE CASCADE), which revokes them: a token unknown to the
    # store is refused.
    await session.execute(delete(AccessTokenRow).where(AccessTokenRow.account_name == name))
    result = await session.execute(delete(AccountRow).where(AccountRow.name == name))
    return bool(getattr(result, "rowcount", 0))


async def add_token(session: AsyncSession, token: AccessTokenRecord) -> None:
    session.add(
        AccessTokenRow(
            token_id=token.token_id,
            account_name=token.account_name,
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )
    )
    await session.flush()


async def get_token(session: AsyncSession, token_id: str) -> AccessTokenRecord | None:
    row = await session.get(AccessTokenRow, token_id)
    if row is None:
        return None
    return AccessTokenRecord(row.token_id, row.account_name, row.issued_at, row.expires_at, row.revoked_at)


async def revoke_token(session: AsyncSession, token_id: str, at: datetime) -> bool:
    """Mark a token revoked (the first revocation's instant is kept); ``False`` if unknown."""
    row = await session.get(AccessTokenRow, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        await session.execute(update(AccessTokenRow).where(AccessTokenRow.token_id == token_id).values(revoked_at=at))
    return True


async def add_audit(
    session: AsyncSession,
    at: datetime,
    actor: str | None,
    role: str | None,
    method: str,
    path: str,
    status_code: int,
    payload: dict[str, Any] | None,
) -> None:
    session.add(
        AuditRow(at=at, actor=actor, role=role, method=method, path=path, status_code=status_code, payload=payload)
    )
    await session.flush()


async def list_audit(
    session: AsyncSession, actor: str | None, since: datetime | None, limit: int, offset: int
) -> list[AuditRecord]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    return [
        AuditRecord(r.id, r.at, r.actor, r.role, r.method, r.path, r.status_code, r.payload)
        for r in await session.scalars(query)
    ]


async def get_answer(session: AsyncSession, actor: str, key: str) -> IdempotentAnswer | None:
    row = await session.get(IdempotentAnswerRow, (actor, key))
    if row is None:
        return None
    return IdempotentAnswer(row.request_hash, row.status_code, row.content_type, row.body)


async def save_answer(session: AsyncSession, actor: str, key: str, answer: IdempotentAnswer, at: datetime) -> None:
    """Store the answer unless one is already stored for the key (the first one wins)."""
    statement = (
        conflict_insert(session, IdempotentAnswerRow)
        .values(
            actor=actor,
            key=key,
            request_hash=answer.request_hash,
            status_code=answer.status_code,
            content_type=answer.content_type,
            body=answer.body,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=[IdempotentAnswerRow.actor, IdempotentAnswerRow.key])
    )
    await session.execute(statement)


def _account(row: AccountRow) -> AccountRecord:
    return AccountRecord(row.name, AccountKind(row.kind), row.role, row.fleet, row.secret_hash, row.created_at)
