"""Bookings by target state of charge: ``target_soc`` instead of ``energy_needed_kwh``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("target_soc", sa.Double(), nullable=True))
        batch.alter_column("energy_needed_kwh", existing_type=sa.Double(), nullable=True)
        batch.create_check_constraint(
            op.f("ck_bookings_one_need"), "(energy_needed_kwh IS NULL) <> (target_soc IS NULL)"
        )


def downgrade() -> None:
    # A target cannot be turned back into an energy without the vehicle's state: such bookings go.
    op.execute("DELETE FROM bookings WHERE energy_needed_kwh IS NULL")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(op.f("ck_bookings_one_need"), type_="check")
        batch.alter_column("energy_needed_kwh", existing_type=sa.Double(), nullable=False)
        batch.drop_column("target_soc")
