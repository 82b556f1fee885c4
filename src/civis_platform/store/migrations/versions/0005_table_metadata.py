"""tables' user metadata: description, primary and last-modified keys, ontology mapping

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("description", "primary_keys", "last_modified_keys", "ontology_mapping")


def upgrade() -> None:
    with op.batch_alter_table("warehouse_tables", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warehouse_tables", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
