"""The relational schema, as typed ORM classes.

The ``*Row`` classes never leave ``fleet.persistence``: the store turns them into the frozen records
of ``records``. Constraint names are fixed here (explicitly or through the naming convention) so that
the Alembic migrations can create and later alter them by name on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fleet.persistence.utc_datetime import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so the 64-bit key is plain INTEGER there
# (which SQLite stores in up to 8 bytes anyway).
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), float: Double(), dict[str, Any]: JSON()}


class ChargePointRow(Base):
    __tablename__ = "charge_points"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    serial_number: Mapped[str | None] = mapped_column(String)
    firmware_version: Mapped[str | None] = mapped_column(String)
    ocpp_version: Mapped[str | None] = mapped_column(String)
    connected: Mapped[bool] = mapped_column(default=False)
    connected_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    booted_at: Mapped[datetime | None]


class ConnectorRow(Base):
    __tablename__ = "connectors"

    charge_point_id: Mapped[str] = mapped_column(
        String, ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String)
    error_code: Mapped[str] = mapped_column(String)
    status_at: Mapped[datetime]


class VehicleRow(Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("id_tag", name="uq_vehicles_id_tag"),
        CheckConstraint("vehicle_class IN ('car', 'van')", name="vehicle_class"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    fleet: Mapped[str] = mapped_column(String)
    vehicle_class: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    id_tag: Mapped[str] = mapped_column(String)
    battery_kwh: Mapped[float]
    max_ac_kw: Mapped[float]
    max_dc_kw: Mapped[float]


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_vehicle_id_created_at", "vehicle_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[str] = mapped_column(String, ForeignKey("vehicles.id", ondelete="CASCADE"))
    departure_at: Mapped[datetime]
    energy_needed_kwh: Mapped[float]
    priority: Mapped[float]
    created_at: Mapped[datetime]


class TransactionRow(Base):
    """One charging session; ``id`` is the OCPP transactionId, a 32-bit integer in OCPP 1.6."""

    __tablename__ = "transactions"
    __table_args__ = (
        # A StartTransaction retried by the charger carries the same four values: the constraint
        # makes the retry find the first row instead of opening a second session.
        UniqueConstraint("charge_point_id", "connector_id", "id_tag", "started_at", name="uq_transactions_start"),
        Index("ix_transactions_stopped_at", "stopped_at"),
        Index("ix_transactions_started_at", "started_at"),
        # Never reuse an id, even of a deleted row: chargers may still hold it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String)
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String)
    vehicle_id: Mapped[str | None] = mapped_column(String, ForeignKey("vehicles.id", ondelete="SET NULL"))
    meter_start_kwh: Mapped[float]
    started_at: Mapped[datetime]
    meter_stop_kwh: Mapped[float | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String)
    last_energy_register_kwh: Mapped[float | None]
    last_power_kw: Mapped[float | None]
    last_soc_percent: Mapped[float | None]
    last_sample_at: Mapped[datetime | None]


class MeterValueRow(Base):
    __tablename__ = "meter_values"
    __table_args__ = (
        UniqueConstraint(
            "charge_point_id",
            "connector_id",
            "measurand",
            "phase",
            "measured_at",
            name="uq_meter_values_sample",
        ),
        Index("ix_meter_values_transaction_id_measured_at", "transaction_id", "measured_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String)
    connector_id: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("transactions.id", ondelete="SET NULL"))
    measurand: Mapped[str] = mapped_column(String)
    phase: Mapped[str] = mapped_column(String)
    """'' when the sample is not per phase (NULL would defeat the unique constraint)."""
    value: Mapped[float]
    measured_at: Mapped[datetime]


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String)
    termination: Mapped[str] = mapped_column(String)
    objective_eur: Mapped[float | None]
    solve_time_s: Mapped[float]
    unmet_energy_kwh: Mapped[float]
    body: Mapped[dict[str, Any]]


class SiteSampleRow(Base):
    __tablename__ = "site_samples"

    measured_at: Mapped[datetime] = mapped_column(primary_key=True)
    ev_power_kw: Mapped[float]
    grid_import_kw: Mapped[float | None]
    pv_kw: Mapped[float | None]
    base_load_kw: Mapped[float | None]
