"""GET /charge-points: every configured charger, its capabilities (as the site file states them and as
the charger reported them), connectors, live power, limits and profiles (installed and desired), and
what 2.0.1 chargers report for planning (a vehicle's ISO 15118 needs, limits set by others)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from fleet.api.charger_input_view import ev_needs_public, external_limits_public
from fleet.api.context import Ctx, Planner
from fleet.api.problems import problem_responses
from fleet.api.profile_view import profile_public
from fleet.api.schemas import (
    ChargePointBootPublic,
    ChargePointCapabilitiesPublic,
    ChargePointPublic,
    ChargingProfilePublic,
    ConnectorPublic,
    ReportedCapabilitiesPublic,
)
from fleet.api.security import SiteReader
from fleet.control_loop import PlanResult
from fleet.persistence.capability_queries import DesiredProfile, ReportedCapabilities
from fleet.persistence.records import ChargePointRecord, ExternalLimitRecord, TransactionRecord
from fleet.planning import connector_min_power_kw
from fleet.site_config import ChargePointConfig
from ocpp_server.profiles import failsafe_profile

router = APIRouter(prefix="/charge-points", tags=["charge points"])


def planned_limit_kw(latest: PlanResult | None, connector_key: str, now: datetime) -> float | None:
    if latest is None:
        return None
    t = latest.forecast.slot_index(now)
    plugged = {p.connector_key: p.plan_key for p in latest.plugged}
    plan = latest.schedule.plan_for(plugged.get(connector_key, ""))
    if t is None or plan is None:
        return None
    return plan.power_kw[t]


def _capabilities(config: ChargePointConfig) -> ChargePointCapabilitiesPublic:
    return ChargePointCapabilitiesPublic(
        kind=config.kind,
        max_power_kw=config.max_power_kw,
        rate_unit=config.rate_unit,
        phases=config.phases,
        voltage_v=config.voltage_v,
        min_current_a=config.min_current_a,
        min_power_kw=round(connector_min_power_kw(config), 3),
        max_schedule_periods=config.max_schedule_periods,
        vendor=config.vendor or None,
        model=config.model or None,
    )


def _reported(reported: ReportedCapabilities | None) -> ReportedCapabilitiesPublic | None:
    if reported is None:
        return None
    c = reported.capabilities
    return ReportedCapabilitiesPublic(
        read_at=c.read_at,
        smart_charging=c.smart_charging,
        feature_profiles=None if c.feature_profiles is None else sorted(c.feature_profiles),
        max_stack_level=c.max_stack_level,
        allowed_rate_units=None if c.allowed_rate_units is None else sorted(u.value for u in c.allowed_rate_units),
        max_schedule_periods=c.max_schedule_periods,
        max_profiles_installed=c.max_profiles_installed,
        meter_value_sample_interval_s=c.meter_value_sample_interval_s,
        number_of_connectors=c.number_of_connectors,
        connector_phase_rotation=c.connector_phase_rotation,
        local_auth_list_max_length=c.local_auth_list_max_length,
        send_local_list_max_length=c.send_local_list_max_length,
        authorization_key_set=c.authorization_key_set,
        unknown_keys=list(c.unknown_keys),
        problems=list(c.problems),
        configuration=reported.configuration,
    )


def _boot(record: ChargePointRecord | None) -> ChargePointBootPublic | None:
    if record is None or record.booted_at is None:
        return None
    return ChargePointBootPublic(
        vendor=record.vendor,
        model=record.model,
        serial_number=record.serial_number,
        firmware_version=record.firmware_version,
        booted_at=record.booted_at,
    )


def _installed(
    planner: Planner, config: ChargePointConfig, connector_id: int, tx: TransactionRecord | None, now: datetime
) -> ChargingProfilePublic | None:
    """The TxProfile in force for the connector's transaction; a charger drops it when the transaction ends."""
    profile = planner.installed_profile(f"{config.id}/{connector_id}")
    if profile is None or tx is None or profile.transaction_id != tx.id:
        return None
    return profile_public(profile, config, now)


def _desired_status(
    desired: dict[str, DesiredProfile] | None, connector_key: str, tx: TransactionRecord | None
) -> str | None:
    found = None if desired is None else desired.get(connector_key)
    if found is None or tx is None or found.profile.transaction_id != tx.id:
        return None
    return found.last_status


def _public(
    config: ChargePointConfig,
    record: ChargePointRecord | None,
    active: dict[tuple[str, int], TransactionRecord],
    connected: frozenset[str],
    planner: Planner,
    failsafe_kw: float,
    now: datetime,
    reported: ReportedCapabilities | None = None,
    desired: dict[str, DesiredProfile] | None = None,
    external_limits: Sequence[ExternalLimitRecord] = (),
) -> ChargePointPublic:
    latest = planner.latest
    statuses = {c.connector_id: c for c in record.connectors} if record else {}
    connectors = []
    for connector_id in range(1, config.connectors + 1):
        status = statuses.get(connector_id)
        tx = active.get((config.id, connector_id))
        connectors.append(
            ConnectorPublic(
                connector_id=connector_id,
                status=status.status if status else None,
                error_code=status.error_code if status else None,
                power_kw=tx.last_power_kw if tx else None,
                limit_kw=planned_limit_kw(latest, f"{config.id}/{connector_id}", now),
                transaction_id=tx.id if tx else None,
                vehicle_id=tx.vehicle_id if tx else None,
                energy_kwh=round(tx.energy_kwh, 3) if tx else None,
                soc_percent=tx.last_soc_percent if tx else None,
                installed_profile=_installed(planner, config, connector_id, tx, now),
                desired_profile_status=_desired_status(desired, f"{config.id}/{connector_id}", tx),
                ev_needs=ev_needs_public(tx.ev_needs) if tx else None,
            )
        )
    return ChargePointPublic(
        id=config.id,
        kind=config.kind,
        max_power_kw=config.max_power_kw,
        rate_unit=config.rate_unit,
        ocpp_version=record.ocpp_version if record else None,
        connected=config.id in connected,
        last_seen_at=record.last_seen_at if record else None,
        vendor=record.vendor if record and record.vendor else config.vendor,
        model=record.model if record and record.model else config.model,
        connectors=connectors,
        capabilities=_capabilities(config),
        reported_capabilities=_reported(reported),
        boot=_boot(record),
        failsafe_profile=profile_public(failsafe_profile(failsafe_kw), config, now),
        external_limits=external_limits_public(external_limits, config.id),
    )


async def _all(ctx: Ctx) -> list[ChargePointPublic]:
    now = ctx.clock.now()
    records = {r.id: r for r in await ctx.store.list_charge_points()}
    active: dict[tuple[str, int], TransactionRecord] = {}
    for tx in await ctx.store.active_transactions():
        # Newest first: a newer start on a connector supersedes one whose stop never came.
        active.setdefault((tx.charge_point_id, tx.connector_id), tx)
    connected = ctx.connected_ids()
    failsafe_kw = ctx.site.planning.failsafe_limit_kw
    reported = await ctx.store.capabilities.reported()
    desired = {d.connector_key: d for d in await ctx.store.capabilities.desired()}
    limits = await ctx.store.charger_inputs.external_limits()
    return [
        _public(
            c, records.get(c.id), active, connected, ctx.planner, failsafe_kw, now, reported.get(c.id), desired, limits
        )
        for c in ctx.site.charge_points
    ]


@router.get("", responses=problem_responses(401, 403, 422))
async def list_charge_points(
    ctx: Ctx,
    _: SiteReader,
    kind: Annotated[Literal["AC", "DC"] | None, Query(description="only AC or only DC chargers")] = None,
    connected: Annotated[bool | None, Query(description="only connected (true) or offline (false) chargers")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ChargePointPublic]:
    """Every configured charger in site-file order, optionally filtered, a page at a time."""
    found = [
        cp
        for cp in await _all(ctx)
        if (kind is None or cp.kind == kind) and (connected is None or cp.connected == connected)
    ]
    return found[offset : offset + limit]


@router.get("/{charge_point_id}", responses=problem_responses(401, 403, 404))
async def get_charge_point(charge_point_id: str, ctx: Ctx, _: SiteReader) -> ChargePointPublic:
    found = next((cp for cp in await _all(ctx) if cp.id == charge_point_id), None)
    if found is None:
        raise HTTPException(status_code=404, detail=f"unknown charge point {charge_point_id!r}")
    return found
