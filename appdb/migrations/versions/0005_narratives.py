"""Narratives: the story of a KPI's period (what happened, why, what comes next), every version kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "narratives",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kpi_id", sa.String(128), nullable=False, index=True),
        sa.Column("department_id", sa.String(64)),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("happened", sa.Text, nullable=False),
        sa.Column("why", sa.Text),
        sa.Column("next_steps", sa.Text),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("narratives")
