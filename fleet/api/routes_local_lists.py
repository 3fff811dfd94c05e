"""Each charger's local authorisation list (OCPP 1.6 Local Auth List Management, 2.0.1 D01-D02): read,
replace, change, check. A 2.0.1 station is sent 2.0.1's SendLocalList and GetLocalListVersion
(``local_lists_v201``); the API is the same for both.

Operators and administrators: sending a list is a command to a charger like the others an operator
sends (``routes_charger_commands``), and the list holds only what the id-tag store (administrators')
or the operator says; reading it is a read of the site. The stored list is the one the charger last
accepted: a refused update changes nothing stored, except that of an update split into several
messages, those the charger accepted before refusing one stay applied, as on the charger.

Answers: 200 with the list as stored after the update. A charger not configured is 404; one not
connected is 409, one not answering in time 504. A charger answering VersionMismatch or
NotSupported (also as a CALLERROR, or NotImplemented) is 409: its list is not the stored one, or it
keeps none, and a retry will not help (after a VersionMismatch, a full update sets the list again).
Failed, another CALLERROR or an answer that is no SendLocalList.conf is 502. The problem's detail
names the charger's status. A list longer than the charger's LocalAuthListMaxLength is 422 and is
not sent.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from fleet.api.context import Ctx, require_charge_point
from fleet.api.id_tag_schemas import (
    LocalListDifferentialUpdate,
    LocalListFullUpdate,
    LocalListPublic,
    LocalListVersionPublic,
)
from fleet.api.problems import problem_responses
from fleet.api.security import Operator, SiteReader
from fleet.charger_protocols import RecordedVersions
from fleet.local_list_sync import (
    ChargerRefusedError,
    ChargerUnreachableError,
    LocalListError,
    LocalListSync,
    RequestedEntry,
)
from fleet.local_lists import ListTooLongError, UpdateStatus
from ocpp_server.raw_calls import RawCallOutcome

router = APIRouter(prefix="/charge-points/{charge_point_id}/local-list", tags=["local authorisation lists"])

_RESPONSES = problem_responses(401, 403, 404, 409, 422, 502, 504)
_CONFLICTS = frozenset({UpdateStatus.VERSION_MISMATCH.value, UpdateStatus.NOT_SUPPORTED.value, "NotImplemented"})
"""Answers a retry will not change; a CALLERROR NotImplemented means the charger has no such action."""


def _sync(ctx: Ctx, charge_point_id: str) -> LocalListSync:
    require_charge_point(ctx, charge_point_id)
    return LocalListSync(
        ctx.store.id_tags, ctx.commands, ctx.clock.now, ctx.local_list_locks, RecordedVersions(ctx.store)
    )


def _problem(error: LocalListError) -> HTTPException:
    if isinstance(error, ChargerUnreachableError):
        return HTTPException(504 if error.outcome is RawCallOutcome.TIMEOUT else 409, str(error))
    if isinstance(error, ChargerRefusedError):
        stored = f"; the stored list is version {error.stored.version}"
        return HTTPException(409 if error.status in _CONFLICTS else 502, f"{error}{stored}")
    return HTTPException(502, str(error))


@router.get("", responses=problem_responses(401, 403, 404))
async def get_local_list(charge_point_id: str, ctx: Ctx, _: SiteReader) -> LocalListPublic:
    """The list the charger last accepted and its version (0 and no entries before the first update)."""
    _sync(ctx, charge_point_id)
    return LocalListPublic.of(await ctx.store.id_tags.local_list(charge_point_id))


@router.put("", responses=_RESPONSES)
async def replace_local_list(charge_point_id: str, body: LocalListFullUpdate, ctx: Ctx, _: Operator) -> LocalListPublic:
    """Send the whole list (SendLocalList Full, version stored + 1); stored once the charger accepts it."""
    sync = _sync(ctx, charge_point_id)
    entries = [RequestedEntry(entry.id_tag, entry.info()) for entry in body.entries]
    try:
        return LocalListPublic.of(await sync.full_update(charge_point_id, entries))
    except ListTooLongError as error:
        raise HTTPException(422, str(error)) from None
    except LocalListError as error:
        raise _problem(error) from None


@router.patch("", responses=_RESPONSES)
async def change_local_list(
    charge_point_id: str, body: LocalListDifferentialUpdate, ctx: Ctx, _: Operator
) -> LocalListPublic:
    """Add, change or remove some tags (SendLocalList Differential); stored once the charger accepts it."""
    sync = _sync(ctx, charge_point_id)
    upserts = [RequestedEntry(entry.id_tag, entry.info()) for entry in body.upsert]
    try:
        return LocalListPublic.of(await sync.differential_update(charge_point_id, upserts, body.remove))
    except ListTooLongError as error:
        raise HTTPException(422, str(error)) from None
    except LocalListError as error:
        raise _problem(error) from None


@router.post("/version", responses=problem_responses(401, 403, 404, 409, 502, 504))
async def check_local_list_version(charge_point_id: str, ctx: Ctx, _: Operator) -> LocalListVersionPublic:
    """Ask the charger for its list's version (GetLocalListVersion) and compare it with the stored one."""
    sync = _sync(ctx, charge_point_id)
    try:
        check = await sync.check_version(charge_point_id)
    except LocalListError as error:
        raise _problem(error) from None
    return LocalListVersionPublic(
        charge_point_id=charge_point_id,
        stored_version=check.stored_version,
        charger_version=check.charger_version,
        matches=check.matches,
    )
