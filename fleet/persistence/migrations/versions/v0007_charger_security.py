"""Charge point credentials: Basic-auth password hashes, minimum security profile, issued certificates.

OCPP 1.6 security profiles 1-3: ``charger_credentials`` holds each charger's hashed HTTP Basic
password, the minimum profile an administrator set and the profile its latest connection used;
``charger_certificates`` the client certificates the site's CA signed for chargers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charger_credentials",
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minimum_security_profile", sa.Integer(), nullable=True),
        sa.Column("last_security_profile", sa.Integer(), nullable=True),
        sa.Column("last_connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "minimum_security_profile BETWEEN 0 AND 3",
            name=op.f("ck_charger_credentials_minimum_security_profile"),
        ),
        sa.CheckConstraint(
            "last_security_profile BETWEEN 0 AND 3", name=op.f("ck_charger_credentials_last_security_profile")
        ),
        sa.PrimaryKeyConstraint("charge_point_id", name=op.f("pk_charger_credentials")),
    )
    op.create_table(
        "charger_certificates",
        sa.Column("serial", sa.String(), nullable=False),
        sa.Column("charge_point_id", sa.String(), nullable=False),
        sa.Column("common_name", sa.String(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_charger_certificates")),
    )
    op.create_index("ix_charger_certificates_charge_point_id", "charger_certificates", ["charge_point_id"])


def downgrade() -> None:
    op.drop_index("ix_charger_certificates_charge_point_id", table_name="charger_certificates")
    op.drop_table("charger_certificates")
    op.drop_table("charger_credentials")
