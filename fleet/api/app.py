"""The FastAPI application: REST API under /api/v1, OpenAPI at /docs, the operator page at /."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from fleet.api import (
    routes_charge_points,
    routes_schedule,
    routes_sessions,
    routes_site,
    routes_vehicles,
    routes_yard,
)
from fleet.api.context import ApiContext
from fleet.web.static_files import mount_operator_page


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="Vettabbia",
        summary="Site controller for electric fleets: charge points, vehicles, schedules.",
        version="0.1.0",
    )
    app.state.ctx = ctx
    api = APIRouter(prefix="/api/v1")
    for module in (routes_site, routes_charge_points, routes_sessions, routes_vehicles, routes_yard, routes_schedule):
        api.include_router(module.router)

    @api.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api)
    mount_operator_page(app)
    return app
