"""The id-tag store and each charger's local authorisation list.

``id_tags`` holds what the central system answers for an id tag (status, expiry, parent tag) and
whom it belongs to; ``local_lists`` and ``local_list_entries`` hold, per charger, the local
authorisation list it last accepted and that list's version. Id tags compare case-insensitively
(OCPP 1.6 CiString20): ``id_tag_key`` is the tag with A-Z folded to a-z, ``id_tag`` as written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')"


def upgrade() -> None:
    op.create_table(
        "id_tags",
        sa.Column("id_tag_key", sa.String(), nullable=False),
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_id_tag", sa.String(), nullable=True),
        sa.Column("fleet", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_id_tags_status")),
        sa.PrimaryKeyConstraint("id_tag_key", name=op.f("pk_id_tags")),
    )
    op.create_index("ix_id_tags_status", "id_tags", ["status"])
    op.create_table(
        "local_lists",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 0", name=op.f("ck_local_lists_version")),
        sa.PrimaryKeyConstraint("charge_point_id", name=op.f("pk_local_lists")),
    )
    op.create_table(
        "local_list_entries",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("id_tag_key", sa.String(), nullable=False),
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_id_tag", sa.String(), nullable=True),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_local_list_entries_status")),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["local_lists.charge_point_id"],
            name=op.f("fk_local_list_entries_charge_point_id_local_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("charge_point_id", "id_tag_key", name=op.f("pk_local_list_entries")),
    )


def downgrade() -> None:
    op.drop_table("local_list_entries")
    op.drop_table("local_lists")
    op.drop_index("ix_id_tags_status", table_name="id_tags")
    op.drop_table("id_tags")
