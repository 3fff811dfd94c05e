"""The durable state of the site behind one async API, on SQLite or PostgreSQL.

Every write is committed before its method returns, so that the OCPP edge acknowledges a charger
message only once it is durable. Arguments are checked here, once; the ``*_queries`` modules hold
the SQL. Records go in and out; ORM rows and sessions never leave the package.

Concurrency: each call runs in its own session and transaction, so the store may be shared by any
number of coroutines. SQLite admits one writer per database at a time; rather than letting
concurrent writers collide on the database lock (and fail after the busy timeout), writes are queued
on an ``asyncio.Lock`` inside the store, while reads proceed in parallel (WAL). PostgreSQL runs
writes concurrently; the queries are written for that (``ON CONFLICT``, row locks).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import StaticPool

from fleet.persistence import (
    charge_point_queries,
    charger_log_queries,
    history_queries,
    schedule_queries,
    transaction_queries,
    vehicle_queries,
)
from fleet.persistence.access_store import AccessStore
from fleet.persistence.capability_queries import CapabilityStore
from fleet.persistence.charger_input_store import ChargerInputStore
from fleet.persistence.charger_security_store import ChargerSecurityStore
from fleet.persistence.checks import (
    check_booking_need,
    require_connector_id,
    require_finite,
    require_optional_finite,
    require_samples,
    require_text,
    require_utc,
)
from fleet.persistence.engine import WRITE_OPTION, create_engine
from fleet.persistence.errors import InvalidValueError
from fleet.persistence.fleet_store import FleetStore
from fleet.persistence.id_tag_store import IdTagStore
from fleet.persistence.migration import upgrade_to_head
from fleet.persistence.records import (
    BookingRecord,
    ChargePointRecord,
    ChargerLogRecord,
    FinishedSession,
    MeterBatch,
    MeterBatchOutcome,
    ScheduleRecord,
    SiteSampleRecord,
    TransactionRecord,
    VehicleRecord,
)
from fleet.persistence.session_scope import transaction
from ocpp_server.events import Measurand, MeterSample


class Store:
    """Persistence for charge points, vehicles, bookings, transactions, meter values and schedules.

    Parameters
    ----------
    engine
        An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), normally built by
        ``from_url``. The store owns it: ``close`` disposes of it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._read_sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # An in-memory SQLite database lives in one connection shared by every session (StaticPool):
        # there, reads must queue behind the same lock, or two transactions would interleave on it.
        shared_connection = isinstance(engine.sync_engine.pool, StaticPool)
        self._read_lock = self._write_lock if shared_connection else None
        self.access = AccessStore(self._writing, self._reading)
        """Accounts, issued tokens, the audit log and idempotent answers."""
        self.fleet = FleetStore(self._writing, self._reading)
        """Single vehicles, bookings in bulk, temporary grid limits."""
        self.capabilities = CapabilityStore(self._writing, self._reading)
        """Chargers' reported capabilities and the charging profiles they should hold."""
        self.id_tags = IdTagStore(self._writing, self._reading)
        """The id-tag store and the chargers' local authorisation lists."""
        self.charger_security = ChargerSecurityStore(self._writing, self._reading)
        """Chargers' password hashes, security profiles and issued certificates."""
        self.charger_inputs = ChargerInputStore(self._writing, self._reading)
        """Vehicles' ISO 15118 needs and limits set on chargers by others (OCPP 2.0.1)."""

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Build a store for ``url`` (``sqlite:///path.db`` or ``postgresql://...``) without I/O.

        ``sqlite://`` (in memory) works too, one operation at a time, and is gone on ``close``.
        """
        return cls(create_engine(url))

    @property
    def dialect_name(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is already there)."""
        async with self._exclusive(), self._write_engine.begin() as connection:
            await connection.run_sync(upgrade_to_head)

    async def ping(self) -> None:
        """Ask the database a trivial question (readiness); raises whatever the driver raises."""
        async with self._reading() as session:
            await session.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Close every pooled connection; the store must not be used afterwards."""
        await self._engine.dispose()

    # Charge points

    async def record_connection(self, charge_point_id: str, ocpp_version: str, connected: bool, at: datetime) -> None:
        """Record that a charge point's websocket opened (``connected``) or closed at ``at``."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        ocpp_version = require_text("ocpp_version", str(ocpp_version))
        at = require_utc("at", at)
        async with self._writing() as session:
            await charge_point_queries.record_connection(session, charge_point_id, ocpp_version, bool(connected), at)

    async def record_boot(
        self,
        charge_point_id: str,
        vendor: str,
        model: str,
        serial_number: str | None,
        firmware_version: str | None,
        at: datetime,
    ) -> None:
        """Record a BootNotification: what the charge point says it is."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        at = require_utc("at", at)
        async with self._writing() as session:
            await charge_point_queries.record_boot(
                session, charge_point_id, vendor, model, serial_number, firmware_version, at
            )

    async def record_connector_status(
        self, charge_point_id: str, connector_id: int, status: str, error_code: str, at: datetime
    ) -> None:
        """Record a connector status; a status older than the stored one is ignored."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        connector_id = require_connector_id("connector_id", connector_id)
        status = require_text("status", status)
        at = require_utc("at", at)
        async with self._writing() as session:
            await charge_point_queries.record_connector_status(
                session, charge_point_id, connector_id, status, error_code, at
            )

    async def mark_all_disconnected(self, at: datetime) -> int:
        """Mark disconnected every charge point connected at or before ``at`` (run at start-up).

        Returns
        -------
        int
            How many charge points were marked.
        """
        at = require_utc("at", at)
        async with self._writing() as session:
            return await charge_point_queries.mark_all_disconnected(session, at)

    async def add_charger_log(
        self,
        charge_point_id: str,
        at: datetime,
        kind: str,
        status: str,
        *,
        flagged: bool = False,
        request_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Add a line to a charger's log: a status it reported or, ``flagged``, a problem to look at."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        at = require_utc("at", at)
        kind = require_text("kind", kind)
        async with self._writing() as session:
            await charger_log_queries.add_entry(
                session,
                charge_point_id,
                at,
                kind,
                str(status),
                flagged=bool(flagged),
                request_id=request_id,
                detail=detail,
            )

    async def charger_log(
        self, *, charge_point_id: str | None = None, flagged_only: bool = False, limit: int = 100
    ) -> list[ChargerLogRecord]:
        """The newest log lines first, of one charger or all, optionally only the flagged ones."""
        if limit < 1:
            raise InvalidValueError("limit", f"must be at least 1, got {limit}")
        async with self._reading() as session:
            return await charger_log_queries.entries(
                session, charge_point_id=charge_point_id, flagged_only=flagged_only, limit=limit
            )

    async def charge_point_booted_at(self, charge_point_id: str) -> datetime | None:
        """When the charge point last booted; None if it never did (or was never seen).

        One row, where ``list_charge_points`` reads them all: asked on every connect, it must not
        grow with the number of chargers.
        """
        charge_point_id = require_text("charge_point_id", charge_point_id)
        async with self._reading() as session:
            return await charge_point_queries.booted_at(session, charge_point_id)

    async def charge_point_ocpp_version(self, charge_point_id: str) -> str | None:
        """The OCPP version the charge point last connected with; None if never recorded (one row)."""
        charge_point_id = require_text("charge_point_id", charge_point_id)
        async with self._reading() as session:
            return await charge_point_queries.ocpp_version(session, charge_point_id)

    async def list_charge_points(self) -> list[ChargePointRecord]:
        """Every charge point ever seen, by id, with its connectors by number."""
        async with self._reading() as session:
            return await charge_point_queries.list_charge_points(session)

    # Vehicles and bookings

    async def upsert_vehicles(self, vehicles: Sequence[VehicleRecord]) -> None:
        """Insert new vehicles and update known ones (by id); vehicles not given are kept.

        Raises
        ------
        InvalidValueError
            If an id or an id tag appears twice in ``vehicles``.
        IdTagConflictError
            If an id tag belongs to another stored vehicle.
        """
        _check_unique_vehicles(vehicles)
        async with self._writing() as session:
            await vehicle_queries.upsert_vehicles(session, vehicles)

    async def add_site_file_vehicles(self, vehicles: Sequence[VehicleRecord]) -> list[str]:
        """Add the site file's vehicles that it has never added before; returns their ids.

        Run at every start: a vehicle new in the site file joins the fleet, while one the API has
        changed or deleted since the site file added it stays as the API left it.

        Raises
        ------
        InvalidValueError
            If an id or an id tag appears twice in ``vehicles``.
        IdTagConflictError
            If an id tag belongs to another stored vehicle.
        """
        _check_unique_vehicles(vehicles)
        async with self._writing() as session:
            return await vehicle_queries.add_site_file_vehicles(session, vehicles)

    async def list_vehicles(self) -> list[VehicleRecord]:
        """Every vehicle, by id."""
        async with self._reading() as session:
            return await vehicle_queries.list_vehicles(session)

    async def vehicle_by_id_tag(self, id_tag: str) -> VehicleRecord | None:
        """The vehicle authorising with ``id_tag`` (exact match), or ``None``."""
        async with self._reading() as session:
            return await vehicle_queries.vehicle_by_id_tag(session, id_tag)

    async def add_booking(
        self,
        vehicle_id: str,
        departure_at: datetime,
        energy_needed_kwh: float | None,
        priority: float,
        created_at: datetime,
        *,
        target_soc: float | None = None,
    ) -> BookingRecord:
        """Store a new booking; the newest by ``created_at`` is the vehicle's current one.

        Parameters
        ----------
        energy_needed_kwh
            Energy to deliver before ``departure_at`` [kWh], >= 0; None when ``target_soc`` is given.
        target_soc
            State of charge (0-1] to reach by ``departure_at`` instead of an energy.
        priority
            Relative weight of this vehicle's unmet energy [-].

        Raises
        ------
        UnknownVehicleError
            If no vehicle has id ``vehicle_id``.
        """
        departure_at = require_utc("departure_at", departure_at)
        created_at = require_utc("created_at", created_at)
        check_booking_need(energy_needed_kwh, target_soc)
        priority = require_finite("priority", priority)
        async with self._writing() as session:
            return await vehicle_queries.add_booking(
                session, vehicle_id, departure_at, energy_needed_kwh, priority, created_at, target_soc
            )

    async def current_bookings(self) -> dict[str, BookingRecord]:
        """The current booking of every vehicle that has one, by vehicle id."""
        async with self._reading() as session:
            return await vehicle_queries.current_bookings(session)

    # Transactions and meter values

    async def start_transaction(
        self,
        charge_point_id: str,
        connector_id: int,
        id_tag: str,
        vehicle_id: str | None,
        meter_start_kwh: float,
        started_at: datetime,
        reservation_id: int | None = None,
        charger_transaction_id: str | None = None,
    ) -> int:
        """Open a transaction and return its id (the OCPP 1.6 transactionId), with the reservation it
        used, if any.

        Idempotent: the same charge point, connector, id tag and start instant give the same id,
        so a StartTransaction retried by the charger does not open a second session. A 2.0.1
        transaction (``charger_transaction_id``, the charger's own id) is the same one whenever the
        charge point and that id are: a repeated start returns the stored id, taking the earlier of
        the two start times (with its meter start and connector) and the id tag the stored start
        lacked (``id_tag`` may be "" there: 2.0.1 starts without one).

        Raises
        ------
        UnknownVehicleError
            If ``vehicle_id`` is given and refers to no stored vehicle.
        """
        charge_point_id = require_text("charge_point_id", charge_point_id)
        connector_id = require_connector_id("connector_id", connector_id)
        if charger_transaction_id is None or id_tag != "":
            id_tag = require_text("id_tag", id_tag)
        meter_start_kwh = require_finite("meter_start_kwh", meter_start_kwh)
        started_at = require_utc("started_at", started_at)
        async with self._writing() as session:
            if vehicle_id is not None:
                await vehicle_queries.require_vehicle(session, vehicle_id)
            if charger_transaction_id is not None:
                return await transaction_queries.start_charger_transaction(
                    session,
                    charge_point_id,
                    require_text("charger_transaction_id", charger_transaction_id),
                    connector_id,
                    id_tag,
                    vehicle_id,
                    meter_start_kwh,
                    started_at,
                    reservation_id,
                )
            return await transaction_queries.start_transaction(
                session, charge_point_id, connector_id, id_tag, vehicle_id, meter_start_kwh, started_at, reservation_id
            )

    async def stop_transaction(
        self,
        transaction_id: int,
        meter_stop_kwh: float,
        stopped_at: datetime,
        reason: str | None,
        samples: Sequence[MeterSample],
    ) -> bool:
        """Close a transaction and store the samples sent with the stop.

        Idempotent: stopping a stopped transaction changes nothing (the first stop wins).

        Returns
        -------
        bool
            ``False`` if no transaction has this id. Nothing is stored then, not even the samples:
            without the transaction there is no charge point or connector to file them under.
        """
        meter_stop_kwh = require_finite("meter_stop_kwh", meter_stop_kwh)
        stopped_at = require_utc("stopped_at", stopped_at)
        checked = require_samples("samples", samples)
        async with self._writing() as session:
            return await transaction_queries.stop_transaction(
                session, transaction_id, meter_stop_kwh, stopped_at, reason, checked
            )

    async def add_meter_samples(
        self,
        charge_point_id: str,
        connector_id: int,
        transaction_id: int | None,
        samples: Sequence[MeterSample],
    ) -> int:
        """Store meter samples, ignoring those already stored.

        Samples of an unknown transaction are kept with no transaction (never an error). For a known
        transaction, its latest energy register, power and SoC become the newest stored
        whole-connector (phase-less) sample of each.

        Returns
        -------
        int
            How many samples were new.
        """
        charge_point_id = require_text("charge_point_id", charge_point_id)
        connector_id = require_connector_id("connector_id", connector_id)
        [outcome] = await self.add_meter_batches(
            [MeterBatch(charge_point_id, connector_id, transaction_id, tuple(samples))]
        )
        return outcome.stored

    @staticmethod
    def checked_meter_batch(batch: MeterBatch) -> MeterBatch:
        """``batch`` as ``add_meter_batches`` stores it; raises InvalidValueError if it cannot be."""
        return MeterBatch(
            require_text("charge_point_id", batch.charge_point_id),
            require_connector_id("connector_id", batch.connector_id),
            batch.transaction_id,
            tuple(require_samples("samples", batch.samples)),
        )

    async def add_meter_batches(self, batches: Sequence[MeterBatch]) -> list[MeterBatchOutcome]:
        """Store several MeterValues messages in one database transaction, as ``add_meter_samples``
        stores one: many chargers' readings cost one commit (see ``fleet.meter_writer``).

        Every batch is checked before anything is written; one that fails its checks raises, and
        none is stored.
        """
        checked = [self.checked_meter_batch(batch) for batch in batches]
        outcomes = [MeterBatchOutcome(0, True) for _ in checked]
        if not any(batch.samples for batch in checked):
            return outcomes
        async with self._writing() as session:
            for index, batch in enumerate(checked):
                if batch.samples:
                    stored, known = await transaction_queries.add_meter_samples(
                        session, batch.charge_point_id, batch.connector_id, batch.transaction_id, batch.samples
                    )
                    outcomes[index] = MeterBatchOutcome(stored, known)
        return outcomes

    async def active_transactions(self) -> list[TransactionRecord]:
        """Every transaction not stopped yet, newest first."""
        async with self._reading() as session:
            return await transaction_queries.list_transactions(session, active=True, limit=None, offset=0)

    async def list_transactions(
        self, *, active: bool | None = None, limit: int = 100, offset: int = 0, charge_point_id: str | None = None
    ) -> list[TransactionRecord]:
        """Transactions newest first; ``active`` True / False keeps only running / stopped ones,
        ``charge_point_id`` only that charger's."""
        for field, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidValueError(field, f"must be an integer >= 0, got {value!r}")
        async with self._reading() as session:
            return await transaction_queries.list_transactions(
                session, active=active, limit=limit, offset=offset, charge_point_id=charge_point_id
            )

    async def find_charger_transaction(
        self, charge_point_id: str, charger_transaction_id: str
    ) -> TransactionRecord | None:
        """The 2.0.1 transaction ``charger_transaction_id`` (the charger's own id) of that charge point, or ``None``."""
        async with self._reading() as session:
            return await transaction_queries.find_charger_transaction(session, charge_point_id, charger_transaction_id)

    async def get_transaction(self, transaction_id: int) -> TransactionRecord | None:
        """The transaction with this id, or ``None``."""
        async with self._reading() as session:
            return await transaction_queries.get_transaction(session, transaction_id)

    async def meter_series(
        self, transaction_id: int, measurand: Measurand, *, phase: str | None = None
    ) -> list[tuple[datetime, float]]:
        """A transaction's samples of one measurand as (instant, value) pairs, oldest first.

        Parameters
        ----------
        phase
            ``None`` for whole-connector samples, or the phase ("L1", ...) of per-phase ones.
        """
        async with self._reading() as session:
            return await transaction_queries.meter_series(session, transaction_id, Measurand(measurand), phase or "")

    # Schedules and site samples

    async def save_schedule(
        self,
        created_at: datetime,
        status: str,
        termination: str,
        objective_eur: float | None,
        solve_time_s: float,
        unmet_energy_kwh: float,
        body: dict[str, Any],
    ) -> int:
        """Store a plan and return its id.

        Parameters
        ----------
        objective_eur
            Objective value [EUR], ``None`` when the solver found no solution.
        solve_time_s
            Wall time of the solve [s].
        unmet_energy_kwh
            Energy the plan fails to deliver by the departures [kWh].
        body
            A JSON document (no NaN or infinity) holding the full plan.
        """
        created_at = require_utc("created_at", created_at)
        objective_eur = require_optional_finite("objective_eur", objective_eur)
        solve_time_s = require_finite("solve_time_s", solve_time_s)
        unmet_energy_kwh = require_finite("unmet_energy_kwh", unmet_energy_kwh)
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InvalidValueError("body", f"must be a JSON document without NaN: {error}") from None
        async with self._writing() as session:
            return await schedule_queries.save_schedule(
                session, created_at, status, termination, objective_eur, solve_time_s, unmet_energy_kwh, body
            )

    async def latest_schedule(self) -> ScheduleRecord | None:
        """The most recently created plan, or ``None``."""
        async with self._reading() as session:
            return await schedule_queries.latest_schedule(session)

    async def add_site_sample(
        self,
        measured_at: datetime,
        ev_power_kw: float,
        grid_import_kw: float | None,
        pv_kw: float | None,
        base_load_kw: float | None,
    ) -> None:
        """Store (or replace) the site power at ``measured_at`` [kW]; ``None`` where not measured."""
        measured_at = require_utc("measured_at", measured_at)
        ev_power_kw = require_finite("ev_power_kw", ev_power_kw)
        grid_import_kw = require_optional_finite("grid_import_kw", grid_import_kw)
        pv_kw = require_optional_finite("pv_kw", pv_kw)
        base_load_kw = require_optional_finite("base_load_kw", base_load_kw)
        async with self._writing() as session:
            await schedule_queries.add_site_sample(
                session, measured_at, ev_power_kw, grid_import_kw, pv_kw, base_load_kw
            )

    async def site_samples(self, since: datetime, until: datetime | None = None) -> list[SiteSampleRecord]:
        """Site samples measured at or after ``since`` (and at or before ``until``), oldest first."""
        since = require_utc("since", since)
        until = None if until is None else require_utc("until", until)
        async with self._reading() as session:
            return await schedule_queries.site_samples(session, since, until)

    # History

    async def add_site_samples(self, samples: Sequence[SiteSampleRecord]) -> None:
        """Store many site samples at once; an instant already stored keeps its first value."""
        for sample in samples:
            require_utc("measured_at", sample.measured_at)
        async with self._writing() as session:
            await history_queries.add_site_samples(session, samples)

    async def import_sessions(self, sessions: Sequence[FinishedSession]) -> None:
        """Store past sessions as finished transactions; a session already stored is skipped."""
        for past in sessions:
            require_utc("started_at", past.started_at)
            require_utc("stopped_at", past.stopped_at)
        async with self._writing() as session:
            await history_queries.import_sessions(session, sessions)

    async def finished_transactions(self, since: datetime) -> list[TransactionRecord]:
        """Finished transactions that started at or after ``since``, oldest first."""
        since = require_utc("since", since)
        async with self._reading() as session:
            return await history_queries.finished_transactions(session, since)

    # Sessions

    def _exclusive(self) -> AbstractAsyncContextManager[object]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    def _exclusive_if_one_connection(self) -> AbstractAsyncContextManager[object]:
        return self._read_lock if self._read_lock is not None else nullcontext()

    def _writing(self) -> AbstractAsyncContextManager[AsyncSession]:
        return transaction(self._write_sessions, self._exclusive())

    def _reading(self) -> AbstractAsyncContextManager[AsyncSession]:
        return transaction(self._read_sessions, self._exclusive_if_one_connection())


async def migrate_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema, then close every connection to it."""
    store = Store.from_url(url)
    try:
        await store.migrate()
    finally:
        await store.close()


def _check_unique_vehicles(vehicles: Sequence[VehicleRecord]) -> None:
    """Raise InvalidValueError if an id or an id tag appears twice in ``vehicles``."""
    for field in ("id", "id_tag"):
        values = [getattr(vehicle, field) for vehicle in vehicles]
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise InvalidValueError(f"vehicles.{field}", f"given more than once: {repeated}")
