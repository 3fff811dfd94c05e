"""What the access-control part of the store returns and accepts: accounts, tokens, audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class AccountKind(StrEnum):
    USER = "user"
    """A person signing in with a password (OAuth2 password flow)."""
    CLIENT = "client"
    """A machine signing in with a client secret (OAuth2 client-credentials flow)."""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An API account; ``secret_hash`` is an Argon2 PHC string, never the secret."""

    name: str
    kind: AccountKind
    role: str
    fleet: str | None
    secret_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccessTokenRecord:
    """An issued bearer token, known by its id (the JWT ``jti``)."""

    token_id: str
    account_name: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One command or change made through the API."""

    id: int
    at: datetime
    actor: str | None
    role: str | None
    method: str
    path: str
    status_code: int
    payload: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """The answer stored for an Idempotency-Key, and a hash of the request it answered."""

    request_hash: str
    status_code: int
    content_type: str
    body: str
