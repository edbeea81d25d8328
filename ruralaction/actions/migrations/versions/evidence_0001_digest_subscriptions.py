"""Monthly digest: subscriptions (double opt-in) and their hashed link tokens.

Revision ID: evidence_0001
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "evidence_0001"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("area_kind", sa.String(10), nullable=False),
        sa.Column("area_code", sa.String(40), nullable=False),
        sa.Column("area_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("last_sent_month", sa.String(7), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint(
            "dataset", "email", "area_kind", "area_code",
            name="uq_digest_subscriptions_dataset_email_area_kind_area_code",
        ),
    )
    op.create_index("ix_digest_subscriptions_dataset", "digest_subscriptions", ["dataset"])
    op.create_index("ix_digest_subscriptions_status", "digest_subscriptions", ["status"])
    op.create_index("ix_digest_subscriptions_created_at", "digest_subscriptions", ["created_at"])
    op.create_table(
        "digest_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["digest_subscriptions.id"],
            name="fk_digest_tokens_subscription_id_digest_subscriptions", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_digest_tokens"),
    )
    op.create_index("ix_digest_tokens_subscription_id", "digest_tokens", ["subscription_id"])


def downgrade() -> None:
    op.drop_table("digest_tokens")
    op.drop_table("digest_subscriptions")
