"""The site file adds each of its vehicles once; afterwards the API owns it.

Vehicles stored before this revision count as added: a restart no longer undoes what the API
changed or deleted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_file_vehicles",
        sa.Column("vehicle_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_site_file_vehicles")),
    )
    op.execute("INSERT INTO site_file_vehicles (vehicle_id) SELECT id FROM vehicles")


def downgrade() -> None:
    op.drop_table("site_file_vehicles")
