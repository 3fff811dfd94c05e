"""Chargers' credentials (security profiles 1-3, OCPP 1.6 and 2.0.1): administrators only.

A charger's password is stored as an Argon2id hash and never returned. Rotating it sends the
charger a fresh password in its version's way (1.6: ChangeConfiguration of AuthorizationKey; 2.0.1:
SetVariables of SecurityCtrlr.BasicAuthPassword, use case A02); the new hash is stored, before the
answer, only when the charger accepts. Every change is in the audit log (middleware), passwords masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from fleet.api.context import ApiContext, Ctx, require_charge_point
from fleet.api.problems import problem_responses
from fleet.api.security import Admin
from fleet.charger_protocols import RecordedVersions
from fleet.charger_security import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    ChargerSecurity,
    InvalidPasswordError,
)
from ocpp_server.raw_calls import RawCallOutcome

router = APIRouter(prefix="/charge-points/{charge_point_id}/security", tags=["charger security"])

SecurityProfile = Literal[0, 1, 2, 3]


class PasswordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)]
    """The charger's HTTP Basic password, as set in its AuthorizationKey; stored only as a hash."""


class MinimumProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum_security_profile: SecurityProfile | None
    """The lowest profile the charger may connect with; null returns to the site file's value."""


class IssuedCertificatePublic(BaseModel):
    serial: str
    common_name: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime


class ChargerSecurityPublic(BaseModel):
    charge_point_id: str
    password_set: bool
    password_set_at: datetime | None
    minimum_security_profile: SecurityProfile
    minimum_security_profile_source: Literal["site file", "api"]
    last_security_profile: SecurityProfile | None
    """The profile the latest admitted connection used."""
    last_connected_at: datetime | None
    certificates: list[IssuedCertificatePublic]
    """Client certificates the site's CA issued to the charger, newest first."""


class RotationAnswer(BaseModel):
    charge_point_id: str
    status: str
    """The charger's answer: ChangeConfiguration(AuthorizationKey)'s status (1.6), the attributeStatus of
    SetVariables(SecurityCtrlr.BasicAuthPassword) (2.0.1), or its CALLERROR code."""
    stored: bool
    """Whether the new password's hash replaced the old one (only when the charger answered Accepted)."""


def _security(ctx: ApiContext, charge_point_id: str) -> ChargerSecurity:
    require_charge_point(ctx, charge_point_id)
    if ctx.charger_security is None:
        raise HTTPException(503, "charger credentials are not available in this process")
    return ctx.charger_security


async def _view(ctx: ApiContext, security: ChargerSecurity, charge_point_id: str) -> ChargerSecurityPublic:
    stored = await ctx.store.charger_security.credentials(charge_point_id)
    certificates = await ctx.store.charger_security.certificates(charge_point_id)
    from_api = stored is not None and stored.minimum_security_profile is not None
    return ChargerSecurityPublic(
        charge_point_id=charge_point_id,
        password_set=stored is not None and stored.password_hash is not None,
        password_set_at=None if stored is None else stored.password_set_at,
        minimum_security_profile=await security.minimum_profile(charge_point_id),
        minimum_security_profile_source="api" if from_api else "site file",
        last_security_profile=None if stored is None else stored.last_security_profile,
        last_connected_at=None if stored is None else stored.last_connected_at,
        certificates=[
            IssuedCertificatePublic(
                serial=c.serial,
                common_name=c.common_name,
                not_before=c.not_before,
                not_after=c.not_after,
                issued_at=c.issued_at,
            )
            for c in certificates
        ],
    )


@router.get("", responses=problem_responses(401, 403, 404))
async def charger_security(charge_point_id: str, ctx: Ctx, _: Admin) -> ChargerSecurityPublic:
    """The charger's credentials: whether a password is set (never the password), its minimum and last
    security profiles, the certificates issued to it."""
    return await _view(ctx, _security(ctx, charge_point_id), charge_point_id)


@router.put("/password", status_code=204, responses=problem_responses(401, 403, 404, 422))
async def set_password(charge_point_id: str, update: PasswordUpdate, ctx: Ctx, _: Admin) -> Response:
    """Set the charger's HTTP Basic password (16-40 printable characters), e.g. the one configured on it
    at installation. The charger is not told: use ``rotate-password`` for a charger already connected."""
    security = _security(ctx, charge_point_id)
    try:
        await security.set_password(charge_point_id, update.password)
    except InvalidPasswordError as error:
        raise HTTPException(422, f"password: {error}") from None
    return Response(status_code=204)


@router.put("/minimum-profile", responses=problem_responses(401, 403, 404, 422))
async def set_minimum_profile(
    charge_point_id: str, update: MinimumProfileUpdate, ctx: Ctx, _: Admin
) -> ChargerSecurityPublic:
    """Set the lowest security profile the charger may connect with; from its next connection on."""
    security = _security(ctx, charge_point_id)
    await security.set_minimum_profile(charge_point_id, update.minimum_security_profile)
    return await _view(ctx, security, charge_point_id)


@router.post("/rotate-password", responses=problem_responses(401, 403, 404, 409, 422, 504))
async def rotate_password(charge_point_id: str, ctx: Ctx, _: Admin) -> RotationAnswer:
    """Send the connected charger a new random password, in the version it connected with: a 1.6
    AuthorizationKey (40 hexadecimal digits) or a 2.0.1 BasicAuthPassword (40 letters and digits);
    its hash is stored, before this answers, only if the charger accepts. The password is never shown."""
    security = _security(ctx, charge_point_id)
    family = await RecordedVersions(ctx.store).family(charge_point_id)
    rotation = await security.rotate_password(charge_point_id, ctx.commands, family)
    answer = rotation.answer
    if answer.outcome is RawCallOutcome.NOT_CONNECTED:
        raise HTTPException(409, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.TIMEOUT:
        raise HTTPException(504, f"charge point {charge_point_id!r}: {answer.detail}")
    if answer.outcome is RawCallOutcome.NOT_IN_PROTOCOL:
        raise HTTPException(422, f"charge point {charge_point_id!r}: {answer.detail}")
    return RotationAnswer(charge_point_id=charge_point_id, status=rotation.status, stored=rotation.stored)
