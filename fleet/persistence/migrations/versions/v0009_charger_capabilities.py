"""What each charger reported about itself after boot, and the charging profiles it should hold.

``charger_capabilities`` keeps each charger's latest GetConfiguration answer (smart-charging limits,
feature profiles) with the time it was read; ``desired_charging_profiles`` the TxProfile each
charging connector should hold, so that a charger that reboots or reconnects, or a central system
that restarts, reinstalls it without waiting for the next plan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charger_capabilities",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("charge_point_id", name=op.f("pk_charger_capabilities")),
    )
    op.create_table(
        "desired_charging_profiles",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.String(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("charge_point_id", "connector_id", name=op.f("pk_desired_charging_profiles")),
    )


def downgrade() -> None:
    op.drop_table("desired_charging_profiles")
    op.drop_table("charger_capabilities")
