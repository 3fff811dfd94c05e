"""Liveness, readiness and metrics: what load balancers and Prometheus call, outside ``/api/v1``.

None of them asks for a token: a load balancer or a scraper holds none, and none of them tells
more than that the process runs, what is not ready, and counts (no charger or vehicle data beyond
the charger-independent labels of ``fleet.observability``). ``/metrics`` is off with
``--no-metrics``; the HTTP listener binds to loopback unless told otherwise (docs/observability.md).
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from fleet.api.context import Ctx
from fleet.api.problems import PROBLEM_MEDIA_TYPE, Problem, problem_response, problem_responses

router = APIRouter(tags=["health"])


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "live"}


@router.get("/health/ready", responses=problem_responses(503))
async def ready(ctx: Ctx) -> JSONResponse:
    """200 when the database answers, the OCPP listener serves and planning has begun; otherwise
    503 with ``not_ready``: each part that is not, and why."""
    if ctx.readiness is None:
        return problem_response(HTTPStatus.SERVICE_UNAVAILABLE, "this process has no readiness check")
    readiness = await ctx.readiness.check()
    if readiness.ready:
        return JSONResponse({"status": "ready"})
    problem = Problem(
        title=HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        detail=f"not ready: {', '.join(readiness.not_ready)}",
    )
    # RFC 9457 allows extension members: ``not_ready`` names each part and its reason.
    body = problem.model_dump(exclude_none=True) | {"not_ready": readiness.not_ready}
    return JSONResponse(body, status_code=HTTPStatus.SERVICE_UNAVAILABLE, media_type=PROBLEM_MEDIA_TYPE)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **problem_responses(404)},
)
async def metrics(ctx: Ctx) -> Response:
    """The process's Prometheus metrics in the text exposition format; 404 when metrics are off."""
    if ctx.metrics is None:
        return problem_response(HTTPStatus.NOT_FOUND, "metrics are off in this process")
    return Response(ctx.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
