"""Bearer-token authentication and role checks, as FastAPI dependencies.

Routes declare who may call them with one of the ``Annotated`` aliases below; the caller found is
kept on the request state so that the audit log can name them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from fleet.api.context import Ctx
from fleet.auth import InvalidTokenError, Principal, Role

TOKEN_PATH: Final = "/api/v1/auth/token"
PRINCIPAL_STATE: Final = "principal"
"""Key under which the authenticated caller is kept in the request (ASGI scope) state."""

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH.lstrip("/"), auto_error=False)


async def _authenticated(request: Request, ctx: Ctx, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    if token is None:
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        principal = await ctx.auth.authenticate(token)
    except InvalidTokenError as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


def allow(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers with one of ``roles`` (403 for any other valid caller)."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(str(r) for r in allowed))

    async def check(principal: Annotated[Principal, Depends(_authenticated)]) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role} may not do this (allowed: {names})")
        return principal

    return check


AnyRole = Annotated[Principal, Depends(allow(Role.FLEET_MANAGER, Role.OPERATOR, Role.ADMIN))]
"""Any signed-in caller; fleet managers see only their own fleet's vehicles."""
SiteReader = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.ADMIN))]
"""Reads of the whole site: charge points, sessions, schedule, grid."""
FleetWriter = Annotated[Principal, Depends(allow(Role.FLEET_MANAGER, Role.ADMIN))]
"""Changes to vehicles and bookings (fleet managers: of their own fleet only)."""
YardReporter = Annotated[Principal, Depends(allow(Role.FLEET_MANAGER, Role.OPERATOR, Role.ADMIN))]
"""Reports of vehicles waiting in the yard: the fleet's manager, or the site's staff at the gate."""
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.ADMIN))]
"""Commands to the site (charger commands, temporary grid limits)."""
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]
"""Accounts, credentials, configuration and the audit log."""
