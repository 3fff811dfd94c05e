"""What the API reads and whom it asks to act; built by the composition root, kept on app.state."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request

from fleet.auth import AuthService
from fleet.charger_security import ChargerSecurity
from fleet.clock import Clock, SystemClock
from fleet.control_loop import PlanResult, Snapshot
from fleet.observability.metrics import FleetMetrics
from fleet.observability.readiness import ReadinessCheck
from fleet.persistence.store import Store
from fleet.site_config import ChargePointConfig, SiteConfig
from fleet.yard import Yard
from ocpp_server.commands import PowerLimitProfile
from ocpp_server.message_trace import TracedFrame
from ocpp_server.raw_calls import CentralSystemAction, RawCallAnswer
from ocpp_server.sessions import KeyedLocks


class Planner(Protocol):
    latest: PlanResult | None

    def request_replan(self, reason: str) -> None: ...

    async def snapshot(self) -> Snapshot: ...

    def installed_profile(self, connector_key: str) -> PowerLimitProfile | None: ...


async def no_frames(_: str) -> tuple[TracedFrame, ...]:
    return ()


class ChargerCommands(Protocol):
    async def send_call(
        self, charge_point_id: str, action: CentralSystemAction, payload: dict[str, Any]
    ) -> RawCallAnswer: ...


@dataclass(frozen=True, slots=True)
class ApiContext:
    site: SiteConfig
    store: Store
    clock: Clock
    planner: Planner
    connected_ids: Callable[[], frozenset[str]]
    yard: Yard
    auth: AuthService
    commands: ChargerCommands
    """Sends operators' commands to connected chargers."""
    wall_clock: Clock = field(default_factory=SystemClock)
    """Real time, for the audit log and idempotency records, even when the site's clock is simulated."""
    charger_security: ChargerSecurity | None = None
    """Chargers' passwords and minimum security profiles; None when the API cannot change them."""
    local_list_locks: KeyedLocks = field(default_factory=KeyedLocks)
    """One local-list update per charger at a time, across requests (see ``fleet.local_list_sync``)."""
    recent_frames: Callable[[str], Awaitable[tuple[TracedFrame, ...]]] = no_frames
    """A charger's last OCPP frames (``Chargers.recent_frames``)."""
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the application shuts down: open event streams end, so the server stops at once."""
    readiness: ReadinessCheck | None = None
    """Answers ``GET /health/ready``; None: never ready."""
    metrics: FleetMetrics | None = None
    """Served at ``GET /metrics``; None: metrics are off (404)."""


def require_charge_point(ctx: ApiContext, charge_point_id: str) -> ChargePointConfig:
    """The site file's charge point ``charge_point_id``; 404 when the site has none of that id."""
    charger = ctx.site.charge_point(charge_point_id)
    if charger is None:
        raise HTTPException(404, f"unknown charge point {charge_point_id!r}")
    return charger


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(_context)]
