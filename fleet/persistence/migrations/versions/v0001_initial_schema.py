"""Initial schema: charge points, vehicles, bookings, transactions, meter values, schedules, site.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Types are spelled out here rather than imported from the models, so that this revision keeps
describing the schema it created when the models move on. ``UtcDateTime`` is
``DateTime(timezone=True)`` in the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "charge_points",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("vendor", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("serial_number", sa.String(), nullable=True),
        sa.Column("firmware_version", sa.String(), nullable=True),
        sa.Column("ocpp_version", sa.String(), nullable=True),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("connected_at", _instant(), nullable=True),
        sa.Column("last_seen_at", _instant(), nullable=True),
        sa.Column("booted_at", _instant(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_points")),
    )
    op.create_table(
        "connectors",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error_code", sa.String(), nullable=False),
        sa.Column("status_at", _instant(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["charge_points.id"],
            name=op.f("fk_connectors_charge_point_id_charge_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("charge_point_id", "connector_id", name=op.f("pk_connectors")),
    )
    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("vehicle_class", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("battery_kwh", sa.Double(), nullable=False),
        sa.Column("max_ac_kw", sa.Double(), nullable=False),
        sa.Column("max_dc_kw", sa.Double(), nullable=False),
        sa.CheckConstraint("vehicle_class IN ('car', 'van')", name=op.f("ck_vehicles_vehicle_class")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("id_tag", name="uq_vehicles_id_tag"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.String(), nullable=False),
        sa.Column("departure_at", _instant(), nullable=False),
        sa.Column("energy_needed_kwh", sa.Double(), nullable=False),
        sa.Column("priority", sa.Double(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_bookings_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index("ix_bookings_vehicle_id_created_at", "bookings", ["vehicle_id", "created_at"])
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("vehicle_id", sa.String(), nullable=True),
        sa.Column("meter_start_kwh", sa.Double(), nullable=False),
        sa.Column("started_at", _instant(), nullable=False),
        sa.Column("meter_stop_kwh", sa.Double(), nullable=True),
        sa.Column("stopped_at", _instant(), nullable=True),
        sa.Column("stop_reason", sa.String(), nullable=True),
        sa.Column("last_energy_register_kwh", sa.Double(), nullable=True),
        sa.Column("last_power_kw", sa.Double(), nullable=True),
        sa.Column("last_soc_percent", sa.Double(), nullable=True),
        sa.Column("last_sample_at", _instant(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_transactions_vehicle_id_vehicles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("charge_point_id", "connector_id", "id_tag", "started_at", name="uq_transactions_start"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_transactions_started_at", "transactions", ["started_at"])
    op.create_index("ix_transactions_stopped_at", "transactions", ["stopped_at"])
    op.create_table(
        "meter_values",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("measurand", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("measured_at", _instant(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_meter_values_transaction_id_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_values")),
        sa.UniqueConstraint(
            "charge_point_id",
            "connector_id",
            "measurand",
            "phase",
            "measured_at",
            name="uq_meter_values_sample",
        ),
    )
    op.create_index("ix_meter_values_transaction_id_measured_at", "meter_values", ["transaction_id", "measured_at"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("termination", sa.String(), nullable=False),
        sa.Column("objective_eur", sa.Double(), nullable=True),
        sa.Column("solve_time_s", sa.Double(), nullable=False),
        sa.Column("unmet_energy_kwh", sa.Double(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index("ix_schedules_created_at", "schedules", ["created_at"])
    op.create_table(
        "site_samples",
        sa.Column("measured_at", _instant(), nullable=False),
        sa.Column("ev_power_kw", sa.Double(), nullable=False),
        sa.Column("grid_import_kw", sa.Double(), nullable=True),
        sa.Column("pv_kw", sa.Double(), nullable=True),
        sa.Column("base_load_kw", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("measured_at", name=op.f("pk_site_samples")),
    )


def downgrade() -> None:
    op.drop_table("site_samples")
    op.drop_index("ix_schedules_created_at", table_name="schedules")
    op.drop_table("schedules")
    op.drop_index("ix_meter_values_transaction_id_measured_at", table_name="meter_values")
    op.drop_table("meter_values")
    op.drop_index("ix_transactions_stopped_at", table_name="transactions")
    op.drop_index("ix_transactions_started_at", table_name="transactions")
    op.drop_table("transactions")
    op.drop_index("ix_bookings_vehicle_id_created_at", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("vehicles")
    op.drop_table("connectors")
    op.drop_table("charge_points")
