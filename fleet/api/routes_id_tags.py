"""The id-tag store: what the central system answers when a charger asks about an RFID card.

Administrators write (a card's status decides who may charge, like an account); operators and
administrators read. Tags compare case-insensitively, as OCPP 1.6 compares them: ``abc`` and ``ABC``
are one tag. A vehicle's cards need no entry (they are Accepted, see ``fleet.id_tags``); an entry
for one overrides that, to block it, let it expire or put it in a group.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response

from fleet.api.context import Ctx
from fleet.api.id_tag_schemas import IdTagCreate, IdTagPublic, IdTagUpdate, StoredStatus
from fleet.api.problems import problem_responses
from fleet.api.security import Admin, SiteReader
from fleet.persistence.id_tag_records import IdTagRecord
from ocpp_server.ports import IdTagStatus

router = APIRouter(prefix="/id-tags", tags=["id tags"])

IdTagPath = Annotated[str, Path(min_length=1, max_length=20, description="the id tag, in any letter case")]


async def _stored(ctx: Ctx, id_tag: str) -> IdTagRecord:
    record = await ctx.store.id_tags.get_id_tag(id_tag)
    if record is None:
        raise HTTPException(404, f"unknown id tag {id_tag!r}")
    return record


@router.get("", responses=problem_responses(401, 403, 422))
async def list_id_tags(
    ctx: Ctx,
    _: SiteReader,
    status: Annotated[StoredStatus | None, Query(description="only tags stored with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IdTagPublic]:
    """The stored id tags, in alphabetical order regardless of letter case."""
    wanted = None if status is None else IdTagStatus(status)
    return [IdTagPublic.of(r) for r in await ctx.store.id_tags.list_id_tags(status=wanted, limit=limit, offset=offset)]


@router.post("", status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_id_tag(body: IdTagCreate, ctx: Ctx, _: Admin) -> IdTagPublic:
    """Add an id tag; 409 if it is stored already, in any letter case."""
    record = body.record()
    if not await ctx.store.id_tags.add_id_tag(record):
        raise HTTPException(409, f"id tag {body.id_tag!r} exists already")
    return IdTagPublic.of(record)


@router.get("/{id_tag}", responses=problem_responses(401, 403, 404, 422))
async def get_id_tag(id_tag: IdTagPath, ctx: Ctx, _: SiteReader) -> IdTagPublic:
    return IdTagPublic.of(await _stored(ctx, id_tag))


@router.patch("/{id_tag}", responses=problem_responses(401, 403, 404, 422))
async def update_id_tag(id_tag: IdTagPath, body: IdTagUpdate, ctx: Ctx, _: Admin) -> IdTagPublic:
    """Change a tag's status, expiry, parent, fleet or description; the next Authorize answers the new ones."""
    updated = body.applied_to(await _stored(ctx, id_tag))
    if not await ctx.store.id_tags.replace_id_tag(updated):
        raise HTTPException(404, f"unknown id tag {id_tag!r}")
    return IdTagPublic.of(updated)


@router.delete("/{id_tag}", status_code=204, responses=problem_responses(401, 403, 404, 422))
async def delete_id_tag(id_tag: IdTagPath, ctx: Ctx, _: Admin) -> Response:
    """Forget a tag: it answers Invalid again, or Accepted if it is a vehicle's card.

    Chargers keep it as it was in their local lists and caches until told otherwise.
    """
    if not await ctx.store.id_tags.delete_id_tag(id_tag):
        raise HTTPException(404, f"unknown id tag {id_tag!r}")
    return Response(status_code=204)
