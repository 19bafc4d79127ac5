"""cross-year checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

A table for the rules that link year N−1 to year N of one agency and scope (format-spec §7.1, §7.3),
one row per rule expansion, tied to both parse results (storage.models.CrossYearCheck).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cross_year_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parse_result_id", sa.Integer(), nullable=False),
        sa.Column("prev_parse_result_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=True),
        sa.Column("left", sa.Double(), nullable=True),
        sa.Column("right", sa.Double(), nullable=True),
        sa.Column("delta", sa.Double(), nullable=True),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PASS', 'FAIL', 'NOT_ASSESSABLE')", name=op.f("ck_cross_year_checks_status")
        ),
        sa.ForeignKeyConstraint(
            ["parse_result_id"],
            ["parse_results.id"],
            name=op.f("fk_cross_year_checks_parse_result_id_parse_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prev_parse_result_id"],
            ["parse_results.id"],
            name=op.f("fk_cross_year_checks_prev_parse_result_id_parse_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cross_year_checks")),
    )
    with op.batch_alter_table("cross_year_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cross_year_checks_parse_result_id"), ["parse_result_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cross_year_checks_prev_parse_result_id"), ["prev_parse_result_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cross_year_checks_rule"), ["rule"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cross_year_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cross_year_checks_rule"))
        batch_op.drop_index(batch_op.f("ix_cross_year_checks_prev_parse_result_id"))
        batch_op.drop_index(batch_op.f("ix_cross_year_checks_parse_result_id"))

    op.drop_table("cross_year_checks")
