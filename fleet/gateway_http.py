"""A gateway node's HTTP side: liveness, readiness and metrics, for its load balancer and Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from fleet.observability.metrics import FleetMetrics
from fleet.observability.readiness import bus_readiness


def create_gateway_app(
    bus_connected: Callable[[], bool], ocpp_serving: Callable[[], bool], metrics: FleetMetrics | None
) -> FastAPI:
    app = FastAPI(title="Vettabbia gateway", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        """The process is up and its event loop answers."""
        return {"status": "live"}

    @app.get("/health/ready")
    async def ready() -> JSONResponse:
        """200 when the broker is connected and the OCPP listener serves: chargers may be sent here."""
        not_ready: dict[str, str] = {}
        bus_problem = bus_readiness(bus_connected(), metrics)
        if bus_problem is not None:
            not_ready["bus"] = bus_problem
        if not ocpp_serving():
            not_ready["ocpp_listener"] = "the OCPP listener is not serving"
        if not not_ready:
            return JSONResponse({"status": "ready"})
        body = {
            "title": HTTPStatus.SERVICE_UNAVAILABLE.phrase,
            "status": HTTPStatus.SERVICE_UNAVAILABLE,
            "detail": f"not ready: {', '.join(not_ready)}",
            "not_ready": not_ready,
        }
        return JSONResponse(body, status_code=HTTPStatus.SERVICE_UNAVAILABLE, media_type="application/problem+json")

    @app.get("/metrics")
    async def exposition() -> Response:
        """The gateway's Prometheus metrics; 404 when metrics are off."""
        if metrics is None:
            return JSONResponse({"detail": "metrics are off in this process"}, status_code=HTTPStatus.NOT_FOUND)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app
