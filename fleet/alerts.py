"""What needs an operator's attention: pure functions of the site's state at one instant."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fleet.over_limit import Excess
from fleet.persistence.records import ChargePointRecord, TransactionRecord
from fleet.site_config import SiteConfig

FAULT_STATUSES = frozenset({"Faulted", "Unavailable"})
AT_RISK_KWH = 0.05
"""Unmet energy below this is rounding, not a shortfall [kWh]."""


class AlertKind(StrEnum):
    CHARGER_OFFLINE = "charger_offline"
    CHARGER_FAULT = "charger_fault"
    VEHICLE_AT_RISK = "vehicle_at_risk"
    CHARGER_OVER_LIMIT = "charger_over_limit"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    severity: str
    """``critical`` (act now) or ``warning``."""
    message: str
    charge_point_id: str | None = None
    connector_id: int | None = None
    vehicle_id: str | None = None
    since: datetime | None = None


def offline_chargers(
    site: SiteConfig, records: Mapping[str, ChargePointRecord], connected: Collection[str]
) -> list[Alert]:
    return [
        Alert(
            AlertKind.CHARGER_OFFLINE,
            "warning",
            f"{cp.id} is not connected",
            charge_point_id=cp.id,
            since=records[cp.id].last_seen_at if cp.id in records else None,
        )
        for cp in site.charge_points
        if cp.id not in connected
    ]


def faults(records: Sequence[ChargePointRecord]) -> list[Alert]:
    found = []
    for record in records:
        for c in record.connectors:
            if c.status in FAULT_STATUSES or c.error_code not in ("", "NoError"):
                found.append(
                    Alert(
                        AlertKind.CHARGER_FAULT,
                        "critical" if c.status == "Faulted" else "warning",
                        f"{record.id} connector {c.connector_id}: {c.status} ({c.error_code or 'no error code'})",
                        charge_point_id=record.id,
                        connector_id=c.connector_id,
                        since=c.status_at,
                    )
                )
    return found


def vehicles_at_risk(schedule_body: Mapping[str, Any] | None) -> list[Alert]:
    if schedule_body is None:
        return []
    return [
        Alert(
            AlertKind.VEHICLE_AT_RISK,
            "warning",
            f"{c.get('vehicle_id') or c['connector_key']} leaves {c['unmet_energy_kwh']:.1f} kWh short "
            f"({c.get('unmet_reason') or 'unknown reason'})",
            charge_point_id=c["charge_point_id"],
            connector_id=c["connector_id"],
            vehicle_id=c.get("vehicle_id"),
        )
        for c in schedule_body.get("connectors", [])
        if c["unmet_energy_kwh"] > AT_RISK_KWH
    ]


def chargers_over_limit(transactions: Sequence[TransactionRecord], excesses: Mapping[int, Excess]) -> list[Alert]:
    """Charging connectors drawing more than the limit installed on them, sustained (see ``fleet.over_limit``)."""
    found = []
    for tx in transactions:
        excess = excesses.get(tx.id)
        if excess is None:
            continue
        found.append(
            Alert(
                AlertKind.CHARGER_OVER_LIMIT,
                "critical",
                f"{tx.charge_point_id} connector {tx.connector_id} draws {excess.power_kw:.1f} kW "
                f"against an installed limit of {excess.limit_kw:.1f} kW",
                charge_point_id=tx.charge_point_id,
                connector_id=tx.connector_id,
                vehicle_id=tx.vehicle_id,
                since=excess.since,
            )
        )
    return found
