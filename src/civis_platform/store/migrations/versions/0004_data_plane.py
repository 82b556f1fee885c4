"""warehouse table ids and files' detectedInfo

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detected_info", sa.Text(), nullable=True))
    op.create_table(
        "warehouse_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("schema_name", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["database_id"],
            ["databases.id"],
            name=op.f("fk_warehouse_tables_database_id_databases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_tables")),
        sa.UniqueConstraint(
            "database_id", "schema_name", "table_name", name="uq_warehouse_tables_name"
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("warehouse_tables")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("detected_info")
