"""Baseline: the app database exists and carries a revision, so later tables (users,
tokens, meetings, action items, audit log) arrive as ordinary migrations on top of it.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to create yet: the first tables come with accounts and the audit log."""


def downgrade() -> None:
    """Nothing to drop."""
