"""run engine: claim attempts per run, and API keys minted for a run

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_keys_run_id_runs", "runs", ["run_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_api_keys_run_id", ["run_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_run_id")
        batch_op.drop_constraint("fk_api_keys_run_id_runs", type_="foreignkey")
        batch_op.drop_column("run_id")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("attempts")
