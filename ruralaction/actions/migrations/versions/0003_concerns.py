"""Get involved: residents' concerns, and the actions that answer them ("you said, we did").

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(24), nullable=True),
        sa.Column("submission_key", sa.String(64), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("ward_code", sa.String(20), nullable=False),
        sa.Column("ward_name", sa.String(200), nullable=False),
        sa.Column("ward_matched_by", sa.String(10), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("place", sa.String(100), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(320), nullable=True),
        sa.Column("personal_erased_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_concerns"),
        sa.UniqueConstraint("reference", name="uq_concerns_reference"),
        sa.UniqueConstraint("submission_key", name="uq_concerns_submission_key"),
    )
    op.create_index("ix_concerns_dataset", "concerns", ["dataset"])
    op.create_index("ix_concerns_raised_at", "concerns", ["raised_at"])
    op.create_index("ix_concerns_ward_code", "concerns", ["ward_code"])
    op.create_index("ix_concerns_status", "concerns", ["status"])
    op.create_table(
        "concern_actions",
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("linked_by", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name="fk_concern_actions_concern_id_concerns",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"], name="fk_concern_actions_action_id_actions",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("concern_id", "action_id", name="pk_concern_actions"),
    )
    op.create_index("ix_concern_actions_action_id", "concern_actions", ["action_id"])


def downgrade() -> None:
    op.drop_table("concern_actions")
    op.drop_table("concerns")
