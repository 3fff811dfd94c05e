"""Access control and fleet management: accounts, issued tokens, the audit log, idempotent answers,
the vehicles' ISO 15118 identity, temporary grid limits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=True),
        sa.Column("secret_hash", sa.String(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.CheckConstraint("kind IN ('user', 'client')", name=op.f("ck_accounts_kind")),
        sa.CheckConstraint("role IN ('fleet_manager', 'operator', 'admin')", name=op.f("ck_accounts_role")),
        sa.CheckConstraint("(role = 'fleet_manager') = (fleet IS NOT NULL)", name=op.f("ck_accounts_fleet_scope")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_accounts")),
    )
    op.create_table(
        "access_tokens",
        sa.Column("token_id", sa.String(), nullable=False),
        sa.Column("account_name", sa.String(), nullable=False),
        sa.Column("issued_at", _instant(), nullable=False),
        sa.Column("expires_at", _instant(), nullable=False),
        sa.Column("revoked_at", _instant(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_name"],
            ["accounts.name"],
            name=op.f("fk_access_tokens_account_name_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_access_tokens")),
    )
    op.create_index("ix_access_tokens_account_name", "access_tokens", ["account_name"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "idempotent_answers",
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key", name=op.f("pk_idempotent_answers")),
    )

    with op.batch_alter_table("vehicles") as batch:
        batch.add_column(sa.Column("iso15118_id", sa.String(), nullable=True))
        batch.create_unique_constraint("uq_vehicles_iso15118_id", ["iso15118_id"])
    op.create_table(
        "grid_limits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("limit_kw", sa.Double(), nullable=False),
        sa.Column("starts_at", _instant(), nullable=False),
        sa.Column("ends_at", _instant(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.CheckConstraint("limit_kw >= 0", name=op.f("ck_grid_limits_limit_kw")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_grid_limits_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_limits")),
    )
    op.create_index("ix_grid_limits_ends_at", "grid_limits", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_grid_limits_ends_at", table_name="grid_limits")
    op.drop_table("grid_limits")
    with op.batch_alter_table("vehicles") as batch:
        batch.drop_constraint("uq_vehicles_iso15118_id", type_="unique")
        batch.drop_column("iso15118_id")
    op.drop_table("idempotent_answers")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_access_tokens_account_name", table_name="access_tokens")
    op.drop_table("access_tokens")
    op.drop_table("accounts")
