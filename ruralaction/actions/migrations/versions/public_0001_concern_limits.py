"""Concern limits per client address and per browser, held in the database (all instances share them).

Revision ID: public_0001
Revises: accounts_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "public_0001"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concern_limits",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_concern_limits"),
    )
    op.create_index("ix_concern_limits_last_at", "concern_limits", ["last_at"])


def downgrade() -> None:
    op.drop_index("ix_concern_limits_last_at", table_name="concern_limits")
    op.drop_table("concern_limits")
