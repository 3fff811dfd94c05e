"""What OCPP 2.0.1 chargers report for planning, as the API shows it to an operator: the needs a
vehicle stated over ISO 15118 and the limits a third party set on a charger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from fleet.persistence.records import EvNeedsRecord, ExternalLimitRecord


class EvNeedsPublic(BaseModel):
    """What the vehicle on a connector last asked for over ISO 15118; null where it did not say."""

    energy_amount_kwh: float | None
    """Battery energy it wanted when it reported [kWh] (the plan counts off what was charged since)."""
    departure_at: datetime | None
    max_power_kw: float | None
    """The most it takes [kW]: DC its maximum power; AC its maximum current at the connector's voltage and phases."""
    soc_percent: float | None
    reported_at: datetime


class ExternalLimitPublic(BaseModel):
    """A limit someone else set on the charger (NotifyChargingLimit), standing until they clear it."""

    connector_id: int
    """The EVSE it holds on; 0 for the whole charger."""
    source: str
    """Who set it: EMS, SO (system operator), CSO or Other."""
    limit_kw: float
    """The lowest limit of its schedule [kW]: the plan keeps under it."""
    grid_critical: bool
    since: datetime
    """When the source last set or changed it."""


def ev_needs_public(needs: EvNeedsRecord | None) -> EvNeedsPublic | None:
    if needs is None:
        return None
    return EvNeedsPublic(
        energy_amount_kwh=needs.energy_amount_kwh,
        departure_at=needs.departure_at,
        max_power_kw=needs.max_power_kw,
        soc_percent=needs.soc_percent,
        reported_at=needs.reported_at,
    )


def external_limits_public(limits: Sequence[ExternalLimitRecord], charge_point_id: str) -> list[ExternalLimitPublic]:
    """The charger's standing limits, in the store's order (connector, then source)."""
    return [
        ExternalLimitPublic(
            connector_id=limit.connector_id,
            source=limit.source,
            limit_kw=limit.limit_kw,
            grid_critical=limit.grid_critical,
            since=limit.set_at,
        )
        for limit in limits
        if limit.charge_point_id == charge_point_id
    ]
