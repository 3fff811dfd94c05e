"""The fleet-management part of the store: single vehicles, bookings in bulk, temporary grid limits.

It shares the ``Store``'s engine, sessions and write queue (``Store.fleet``); every write is
committed before its method returns, and a batch is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fleet.persistence import fleet_queries
from fleet.persistence.access_store import SessionScope
from fleet.persistence.checks import check_booking_need, require_finite, require_text, require_utc
from fleet.persistence.errors import InvalidValueError
from fleet.persistence.records import BookingRecord, GridLimitRecord, NewBooking, VehicleRecord


class FleetStore:
    def __init__(self, writing: SessionScope, reading: SessionScope) -> None:
        self._writing = writing
        self._reading = reading

    async def get_vehicle(self, vehicle_id: str) -> VehicleRecord | None:
        async with self._reading() as session:
            return await fleet_queries.get_vehicle(session, vehicle_id)

    async def save_vehicle(self, vehicle: VehicleRecord) -> None:
        """Insert or replace one vehicle.

        Raises
        ------
        IdTagConflictError
            If its id tag or ISO 15118 identity belongs to another vehicle.
        """
        async with self._writing() as session:
            await fleet_queries.save_vehicle(session, vehicle)

    async def delete_vehicle(self, vehicle_id: str) -> bool:
        """Delete a vehicle and its bookings; ``False`` if there was none."""
        async with self._writing() as session:
            return await fleet_queries.delete_vehicle(session, vehicle_id)

    async def add_bookings(self, bookings: Sequence[NewBooking], created_at: datetime) -> list[BookingRecord]:
        """Store many (vehicle id, departure, energy [kWh], priority, target SoC) bookings in one transaction.

        Each gives exactly one of the energy and the target state of charge (0-1], the other None.

        Raises
        ------
        UnknownVehicleError
            If any vehicle is unknown; then none is stored.
        """
        created_at = require_utc("created_at", created_at)
        checked: list[NewBooking] = []
        for index, (vehicle_id, departure_at, energy_kwh, priority, target_soc) in enumerate(bookings):
            departure_at = require_utc(f"bookings[{index}].departure_at", departure_at)
            try:
                check_booking_need(energy_kwh, target_soc)
            except InvalidValueError as error:
                raise InvalidValueError(f"bookings[{index}].{error.field}", error.problem) from None
            checked.append((vehicle_id, departure_at, energy_kwh, require_finite("priority", priority), target_soc))
        async with self._writing() as session:
            return await fleet_queries.add_bookings(session, checked, created_at)

    async def add_grid_limit(
        self,
        limit_kw: float,
        starts_at: datetime,
        ends_at: datetime,
        reason: str,
        created_by: str,
        created_at: datetime,
    ) -> GridLimitRecord:
        """Store a temporary import limit [kW] in force from ``starts_at`` until ``ends_at``."""
        limit_kw = require_finite("limit_kw", limit_kw)
        if limit_kw < 0:
            raise InvalidValueError("limit_kw", f"must be >= 0, got {limit_kw!r}")
        starts_at = require_utc("starts_at", starts_at)
        ends_at = require_utc("ends_at", ends_at)
        if ends_at <= starts_at:
            raise InvalidValueError("ends_at", "must be after starts_at")
        created_by = require_text("created_by", created_by)
        async with self._writing() as session:
            return await fleet_queries.add_grid_limit(
                session, limit_kw, starts_at, ends_at, reason, created_by, require_utc("created_at", created_at)
            )

    async def grid_limits(self, ending_after: datetime) -> list[GridLimitRecord]:
        """Temporary limits still in force (or to come) after ``ending_after``, by start."""
        ending_after = require_utc("ending_after", ending_after)
        async with self._reading() as session:
            return await fleet_queries.grid_limits(session, ending_after)

    async def delete_grid_limit(self, limit_id: int) -> bool:
        """Cancel a temporary limit; ``False`` if there was none."""
        async with self._writing() as session:
            return await fleet_queries.delete_grid_limit(session, limit_id)
