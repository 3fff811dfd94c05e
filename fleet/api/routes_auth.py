"""The OAuth2 token endpoint (password and client-credentials grants), revocation, and who am I."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Response
from pydantic import BaseModel

from fleet.api.context import Ctx
from fleet.api.problems import problem_responses
from fleet.api.security import AnyRole
from fleet.auth import IssuedToken, Principal

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenPublic(BaseModel):
    """RFC 6749 section 5.1."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    """Seconds until the token expires."""
    role: str
    fleet: str | None


class PrincipalPublic(BaseModel):
    name: str
    kind: str
    role: str
    fleet: str | None
    site_timezone: str | None = None
    """The site's time zone (IANA name), in which people read and type times; also for fleet managers,
    who may not read the site itself."""


def _token(issued: IssuedToken) -> TokenPublic:
    return TokenPublic(
        access_token=issued.access_token,
        expires_in=issued.expires_in_s,
        role=str(issued.principal.role),
        fleet=issued.principal.fleet,
    )


def _public(principal: Principal) -> PrincipalPublic:
    return PrincipalPublic(
        name=principal.name, kind=str(principal.kind), role=str(principal.role), fleet=principal.fleet
    )


@router.post("/token", responses=problem_responses(400, 422))
async def issue_token(
    ctx: Ctx,
    response: Response,
    grant_type: Annotated[Literal["password", "client_credentials"], Form()],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=1024)] = None,
) -> TokenPublic:
    """A bearer token for a user's password (``password``) or a machine's secret (``client_credentials``).

    Form-encoded, as RFC 6749 asks. Wrong credentials get 400 with ``error: invalid_grant``.
    """
    response.headers["Cache-Control"] = "no-store"
    if grant_type == "password":
        issued = await ctx.auth.password_grant(username or "", password or "")
    else:
        issued = await ctx.auth.client_grant(client_id or "", client_secret or "")
    return _token(issued)


class RevocationPublic(BaseModel):
    status: Literal["accepted"] = "accepted"


@router.post("/revoke", status_code=200, responses=problem_responses(401, 422))
async def revoke_token(ctx: Ctx, caller: AnyRole, token: Annotated[str, Form(max_length=4096)]) -> RevocationPublic:
    """Revoke a token (RFC 7009): one's own, or any for an admin.

    Answers the same whether or not the token was known or revoked, so that tokens cannot be probed.
    """
    await ctx.auth.revoke(token, caller)
    return RevocationPublic()


@router.get("/me", responses=problem_responses(401))
async def who_am_i(ctx: Ctx, caller: AnyRole) -> PrincipalPublic:
    """The caller's account, role and fleet, and the site's time zone."""
    return _public(caller).model_copy(update={"site_timezone": ctx.site.site.location.timezone})
