"""The chargers' log for the operator: firmware, diagnostics and log upload statuses, security
events, and problems flagged in what chargers sent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charger_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_log")),
    )
    op.create_index("ix_charger_log_charge_point_id_at", "charger_log", ["charge_point_id", "at"])
    op.create_index("ix_charger_log_flagged_at", "charger_log", ["flagged", "at"])


def downgrade() -> None:
    op.drop_index("ix_charger_log_flagged_at", table_name="charger_log")
    op.drop_index("ix_charger_log_charge_point_id_at", table_name="charger_log")
    op.drop_table("charger_log")
