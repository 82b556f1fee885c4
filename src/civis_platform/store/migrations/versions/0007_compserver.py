"""compute: script templates (user ids start high), JSON values, notebook records

Revision ID: 0007_compserver
Revises: 0006
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_compserver"
down_revision = "0006"
branch_labels = None
depends_on = None

# Ids of users' templates start here; library entries have fixed ids below it
# (``store.tables.TEMPLATE_USER_IDS_START``, restated so the migration stays fixed).
USER_IDS_START = 100_000


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("ui_report_id", sa.Integer(), nullable=True),
        sa.Column("library_key", sa.String(64), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_templates_owner_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["script_id"], ["jobs.id"], name="fk_templates_script_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_templates"),
        sa.UniqueConstraint("library_key", name="uq_templates_library_key"),
        sqlite_autoincrement=True,
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            f"INSERT INTO sqlite_sequence (name, seq) VALUES ('templates', {USER_IDS_START - 1})"
        )
    else:
        op.execute(f"ALTER SEQUENCE templates_id_seq RESTART WITH {USER_IDS_START}")
    op.create_table(
        "json_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_json_values_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_json_values"),
    )
    op.create_index("ix_json_values_owner", "json_values", ["owner_id"])
    op.create_table(
        "notebooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_notebooks_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notebooks"),
    )
    op.create_index("ix_notebooks_owner", "notebooks", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_notebooks_owner", table_name="notebooks")
    op.drop_table("notebooks")
    op.drop_index("ix_json_values_owner", table_name="json_values")
    op.drop_table("json_values")
    op.drop_table("templates")
