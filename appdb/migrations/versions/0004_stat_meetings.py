"""Stat meetings: meetings, their departments, agenda items, action items and decisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False, index=True),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("location", sa.String(200)),
        sa.Column("attendees", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("agenda_as_of", sa.Date),
        sa.Column("agenda_drafted_at", sa.DateTime),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "meeting_departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("department_id", sa.String(64), nullable=False, index=True),
        sa.UniqueConstraint("meeting_id", "department_id"),
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("department_id", sa.String(64), nullable=False, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("owner_username", sa.String(64), index=True),
        sa.Column("due_date", sa.Date),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("progress_note", sa.Text),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
    )
    op.create_table(
        "action_item_kpis",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_item_id", sa.Integer, sa.ForeignKey("action_items.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kpi_id", sa.String(128), nullable=False, index=True),
        sa.UniqueConstraint("action_item_id", "kpi_id"),
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("kpi_id", sa.String(128)),
        sa.Column("action_item_id", sa.Integer, sa.ForeignKey("action_items.id", ondelete="SET NULL")),
        sa.Column("title", sa.String(300)),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("questions", sa.Text),
        sa.Column("values", sa.JSON),
    )
    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("meeting_decisions", "agenda_items", "action_item_kpis", "action_items", "meeting_departments",
                  "meetings"):
        op.drop_table(table)
