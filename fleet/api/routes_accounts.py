"""Accounts (users and API clients) and the audit log: administrators only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import Admin
from fleet.auth import Role
from fleet.persistence.access_records import AccountKind, AccountRecord, AuditRecord

router = APIRouter(tags=["accounts"])

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: AccountKind = AccountKind.USER
    """``user`` signs in with a password, ``client`` (a machine) with a client secret."""
    role: Role
    fleet: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Required for (and only for) a fleet manager."""
    secret: Annotated[str, Field(min_length=12, max_length=1024)]
    """The password or client secret; stored only as an Argon2id hash."""


class AccountPublic(BaseModel):
    name: str
    kind: str
    role: str
    fleet: str | None
    created_at: datetime


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str | None
    role: str | None
    method: str
    path: str
    status_code: int
    payload: dict[str, object] | None


def _account(account: AccountRecord) -> AccountPublic:
    return AccountPublic(
        name=account.name,
        kind=str(account.kind),
        role=account.role,
        fleet=account.fleet,
        created_at=account.created_at,
    )


def _entry(entry: AuditRecord) -> AuditEntryPublic:
    return AuditEntryPublic(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        role=entry.role,
        method=entry.method,
        path=entry.path,
        status_code=entry.status_code,
        payload=entry.payload,
    )


@router.get("/accounts", responses=problem_responses(401, 403))
async def list_accounts(ctx: Ctx, _: Admin) -> list[AccountPublic]:
    return [_account(a) for a in await ctx.store.access.list_accounts()]


@router.post("/accounts", status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_account(ctx: Ctx, _: Admin, body: AccountCreate) -> AccountPublic:
    account = await ctx.auth.create_account(body.name, body.kind, body.role, body.fleet, body.secret)
    return _account(account)


@router.delete("/accounts/{name}", status_code=204, responses=problem_responses(401, 403, 404))
async def delete_account(ctx: Ctx, caller: Admin, name: str) -> Response:
    """Delete an account; every token issued to it stops working at once."""
    if name == caller.name:
        raise HTTPException(409, "an administrator cannot delete their own account")
    if not await ctx.store.access.delete_account(name):
        raise HTTPException(404, f"unknown account {name!r}")
    return Response(status_code=204)


@router.get("/audit", responses=problem_responses(401, 403, 422))
async def list_audit(
    ctx: Ctx,
    _: Admin,
    actor: Annotated[str | None, Query(max_length=64, description="only this account's entries")] = None,
    since: Annotated[AwareDatetime | None, Query(description="only entries at or after this instant")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditEntryPublic]:
    """Every command and change made through the API, newest first: who, what, when, payload."""
    entries = await ctx.store.access.list_audit(actor=actor, since=since, limit=limit, offset=offset)
    return [_entry(e) for e in entries]
