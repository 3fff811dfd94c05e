"""The FastAPI application: REST API under /api/v1, OpenAPI at /docs, the operator page at /."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from fleet.api import (
    routes_accounts,
    routes_alerts,
    routes_auth,
    routes_bookings,
    routes_charge_points,
    routes_charger_commands,
    routes_charger_frames,
    routes_charger_log,
    routes_charger_security,
    routes_events,
    routes_grid_limits,
    routes_health,
    routes_id_tags,
    routes_local_lists,
    routes_readiness,
    routes_schedule,
    routes_sessions,
    routes_site,
    routes_site_measurements,
    routes_site_today,
    routes_tariff,
    routes_vehicles,
    routes_what_if,
    routes_yard,
)
from fleet.api.audit import AuditMiddleware
from fleet.api.context import ApiContext
from fleet.api.idempotency import IdempotencyMiddleware
from fleet.api.problems import add_problem_handlers
from fleet.web.static_files import mount_operator_page

API_PREFIX = "/api/v1"


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="Vettabbia",
        summary="Site controller for electric fleets: charge points, vehicles, schedules.",
        version="0.2.0",
    )
    app.state.ctx = ctx
    api = APIRouter(prefix=API_PREFIX)
    for module in (
        routes_auth,
        routes_site,
        routes_site_measurements,
        routes_site_today,
        routes_tariff,
        routes_grid_limits,
        routes_charge_points,
        routes_charger_commands,
        routes_charger_frames,
        routes_charger_log,
        routes_charger_security,
        routes_sessions,
        routes_vehicles,
        routes_bookings,
        routes_id_tags,
        routes_local_lists,
        routes_readiness,
        routes_what_if,
        routes_yard,
        routes_schedule,
        routes_alerts,
        routes_events,
        routes_accounts,
    ):
        api.include_router(module.router)

    @api.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Whether the API answers; needs no token."""
        return {"status": "ok"}

    app.include_router(api)
    # Outside /api/v1: load balancers and Prometheus expect them at the root, without a token.
    app.include_router(routes_health.router)
    add_problem_handlers(app)
    # The last added runs first: the audit log sees replayed and refused requests too.
    app.add_middleware(
        IdempotencyMiddleware, store=ctx.store.access, auth=ctx.auth, now=ctx.wall_clock.now, prefix=API_PREFIX
    )
    app.add_middleware(AuditMiddleware, store=ctx.store.access, now=ctx.wall_clock.now, prefix=API_PREFIX)
    mount_operator_page(app)
    return app
