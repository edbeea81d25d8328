"""Accounts that hold up in public: sign-in sessions (revocable, only token hashes stored),
one-time codes (first admin, new account, password reset) and sign-in limits counted per
account, client and known browser. Replaces the per-account failure log of 0002.

Revision ID: accounts_0001
Revises: evidence_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = "evidence_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("sign_in_failures")  # a short-lived rate-limit log: nothing worth keeping
    op.create_table(
        "sign_in_limits",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_limits"),
    )
    op.create_index("ix_sign_in_limits_last_failure_at", "sign_in_limits", ["last_failure_at"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_expires_at", "user_sessions", ["expires_at"])
    op.create_table(
        "account_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_account_codes_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_account_codes"),
        sa.UniqueConstraint("code_hash", name="uq_account_codes_code_hash"),
    )
    op.create_index("ix_account_codes_user_id", "account_codes", ["user_id"])


def downgrade() -> None:
    op.drop_table("account_codes")
    op.drop_table("user_sessions")
    op.drop_table("sign_in_limits")
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(320), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_account", "sign_in_failures", ["account"])
    op.create_index("ix_sign_in_failures_at", "sign_in_failures", ["at"])
