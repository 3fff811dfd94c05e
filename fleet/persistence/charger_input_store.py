"""What chargers report for planning to take in (``Store.charger_inputs``): the needs a vehicle stated
over ISO 15118 and the limits a third party set on a charger (OCPP 2.0.1).

It shares the ``Store``'s engine, sessions and write queue; every write is committed before its
method returns.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fleet.persistence import charger_input_queries
from fleet.persistence.access_store import SessionScope
from fleet.persistence.checks import (
    require_connector_id,
    require_finite,
    require_optional_finite,
    require_text,
    require_utc,
)
from fleet.persistence.errors import InvalidValueError
from fleet.persistence.records import ExternalLimitRecord
from ocpp_server.events import EvChargingNeeds

_NEEDS_FIGURES = (
    "energy_amount_kwh",
    "max_power_kw",
    "min_current_a",
    "max_current_a",
    "max_voltage_v",
    "soc_percent",
    "capacity_kwh",
    "full_soc_percent",
)


class ChargerInputStore:
    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def record_ev_needs(self, needs: EvChargingNeeds) -> int | None:
        """Keep the vehicle's needs on the transaction open on its connector (the latest, should a
        lost stop leave two), replacing what it said before.

        Returns
        -------
        int | None
            The transaction's id; None, and nothing stored, when no transaction is open there.
        """
        checks: dict[str, Any] = {name: require_optional_finite(name, getattr(needs, name)) for name in _NEEDS_FIGURES}
        checked = dataclasses.replace(
            needs,
            charge_point_id=require_text("charge_point_id", needs.charge_point_id),
            connector_id=require_connector_id("connector_id", needs.connector_id),
            at=require_utc("at", needs.at),
            departure_at=None if needs.departure_at is None else require_utc("departure_at", needs.departure_at),
            **checks,
        )
        async with self._writing() as session:
            return await charger_input_queries.record_ev_needs(session, checked)

    async def set_external_limit(self, limit: ExternalLimitRecord) -> bool:
        """Keep a limit set on a charger until it is cleared; False (nothing changed) when the same
        source's stored limit there is newer.

        Raises
        ------
        InvalidValueError
            If the limit is negative or not finite.
        """
        limit_kw = require_finite("limit_kw", limit.limit_kw)
        if limit_kw < 0:
            raise InvalidValueError("limit_kw", f"must be >= 0, got {limit.limit_kw!r}")
        checked = dataclasses.replace(
            limit,
            charge_point_id=require_text("charge_point_id", limit.charge_point_id),
            connector_id=require_connector_id("connector_id", limit.connector_id),
            source=require_text("source", limit.source),
            limit_kw=limit_kw,
            set_at=require_utc("set_at", limit.set_at),
        )
        async with self._writing() as session:
            return await charger_input_queries.set_external_limit(session, checked)

    async def clear_external_limit(self, charge_point_id: str, connector_id: int, source: str, at: datetime) -> int:
        """End the source's limits set before ``at`` on the connector, or on every connector of the
        charger for connector 0; how many ended."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        connector_id = require_connector_id("connector_id", connector_id)
        source = require_text("source", source)
        at = require_utc("at", at)
        async with self._writing() as session:
            return await charger_input_queries.clear_external_limit(session, charge_point_id, connector_id, source, at)

    async def external_limits(self) -> list[ExternalLimitRecord]:
        """Every standing limit, by charge point, connector and source."""
        async with self._reading() as session:
            return await charger_input_queries.external_limits(session)
