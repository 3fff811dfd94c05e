"""OCPP 2.0.1: the charger's own transaction id, vehicles' ISO 15118 needs, limits set by others.

``transactions.charger_transaction_id`` holds the transactionId a 2.0.1 charger chose, unique per
charge point (a unique index: SQLite adds it in place, without rebuilding the table);
``ev_charging_needs`` what a transaction's vehicle last asked for (NotifyEVChargingNeeds);
``external_charging_limits`` the limits a third party set on a charger (NotifyChargingLimit) until
they are cleared.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("charger_transaction_id", sa.String(), nullable=True))
    op.create_index(
        "uq_transactions_charger_transaction_id",
        "transactions",
        ["charge_point_id", "charger_transaction_id"],
        unique=True,
    )
    op.create_table(
        "ev_charging_needs",
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_energy_transfer", sa.String(), nullable=False),
        sa.Column("departure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("energy_amount_kwh", sa.Double(), nullable=True),
        sa.Column("max_power_kw", sa.Double(), nullable=True),
        sa.Column("min_current_a", sa.Double(), nullable=True),
        sa.Column("max_current_a", sa.Double(), nullable=True),
        sa.Column("max_voltage_v", sa.Double(), nullable=True),
        sa.Column("soc_percent", sa.Double(), nullable=True),
        sa.Column("capacity_kwh", sa.Double(), nullable=True),
        sa.Column("full_soc_percent", sa.Double(), nullable=True),
        sa.Column("register_at_report_kwh", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_ev_charging_needs_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_ev_charging_needs")),
    )
    op.create_table(
        "external_charging_limits",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("limit_kw", sa.Double(), nullable=False),
        sa.Column("grid_critical", sa.Boolean(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("limit_kw >= 0", name=op.f("ck_external_charging_limits_limit_kw")),
        sa.PrimaryKeyConstraint("charge_point_id", "connector_id", "source", name=op.f("pk_external_charging_limits")),
    )


def downgrade() -> None:
    op.drop_table("external_charging_limits")
    op.drop_table("ev_charging_needs")
    op.drop_index("uq_transactions_charger_transaction_id", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("charger_transaction_id")
