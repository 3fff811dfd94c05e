"""Several RFID cards per vehicle: its further id tags, each held by one vehicle only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicle_id_tags",
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("vehicle_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_vehicle_id_tags_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_tag", name=op.f("pk_vehicle_id_tags")),
    )
    op.create_index("ix_vehicle_id_tags_vehicle_id", "vehicle_id_tags", ["vehicle_id"])


def downgrade() -> None:
    op.drop_index("ix_vehicle_id_tags_vehicle_id", table_name="vehicle_id_tags")
    op.drop_table("vehicle_id_tags")
