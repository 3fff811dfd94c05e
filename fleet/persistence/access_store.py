"""The access-control part of the store: accounts, issued tokens, the audit log, idempotent answers.

It shares the ``Store``'s engine, sessions and write queue (``Store.access``); every write is
committed before its method returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fleet.persistence import access_queries
from fleet.persistence.access_records import AccessTokenRecord, AccountRecord, AuditRecord, IdempotentAnswer
from fleet.persistence.checks import require_text, require_utc
from fleet.persistence.errors import InvalidValueError

SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class AccessStore:
    """Persistence for who may call the API and what they did.

    Parameters
    ----------
    writing, reading
        The store's session scopes: each yields a session inside one transaction.
    """

    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def add_account(self, account: AccountRecord) -> bool:
        """Store a new account; ``False`` when an account of that name exists (nothing changes)."""
        require_text("name", account.name)
        require_utc("created_at", account.created_at)
        async with self._writing() as session:
            return await access_queries.add_account(session, account)

    async def get_account(self, name: str) -> AccountRecord | None:
        async with self._reading() as session:
            return await access_queries.get_account(session, name)

    async def list_accounts(self) -> list[AccountRecord]:
        """Every account, by name."""
        async with self._reading() as session:
            return await access_queries.list_accounts(session)

    async def delete_account(self, name: str) -> bool:
        """Delete an account and every token issued to it; ``False`` if there was none."""
        async with self._writing() as session:
            return await access_queries.delete_account(session, name)

    async def add_token(self, token: AccessTokenRecord) -> None:
        """Record an issued token (its id, owner and lifetime; never the token itself)."""
        require_utc("issued_at", token.issued_at)
        require_utc("expires_at", token.expires_at)
        async with self._writing() as session:
            await access_queries.add_token(session, token)

    async def get_token(self, token_id: str) -> AccessTokenRecord | None:
        async with self._reading() as session:
            return await access_queries.get_token(session, token_id)

    async def revoke_token(self, token_id: str, at: datetime) -> bool:
        """Revoke a token; ``False`` if no token has this id."""
        at = require_utc("at", at)
        async with self._writing() as session:
            return await access_queries.revoke_token(session, token_id, at)

    async def add_audit(
        self,
        at: datetime,
        actor: str | None,
        role: str | None,
        method: str,
        path: str,
        status_code: int,
        payload: dict[str, Any] | None,
    ) -> None:
        """Append an entry to the audit log; ``payload`` must be a JSON document."""
        at = require_utc("at", at)
        try:
            json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InvalidValueError("payload", f"must be a JSON document: {error}") from None
        async with self._writing() as session:
            await access_queries.add_audit(session, at, actor, role, method, path, status_code, payload)

    async def list_audit(
        self, *, actor: str | None = None, since: datetime | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditRecord]:
        """Audit entries newest first, optionally of one actor and from ``since`` on."""
        for field, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidValueError(field, f"must be an integer >= 0, got {value!r}")
        since = None if since is None else require_utc("since", since)
        async with self._reading() as session:
            return await access_queries.list_audit(session, actor, since, limit, offset)

    async def get_answer(self, actor: str, key: str) -> IdempotentAnswer | None:
        """The answer stored for ``actor``'s Idempotency-Key ``key``, or ``None``."""
        async with self._reading() as session:
            return await access_queries.get_answer(session, actor, key)

    async def save_answer(self, actor: str, key: str, answer: IdempotentAnswer, at: datetime) -> None:
        """Store the answer to a keyed request; a key already answered keeps its first answer."""
        at = require_utc("at", at)
        async with self._writing() as session:
            await access_queries.save_answer(session, actor, key, answer, at)
