"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27

The whole store as of the foundation issue: agencies, crawl runs, captures, reports and their versions,
parse results with their cells and check results. Timestamps are DateTime(timezone=True), the impl of
storage.types.UTCDateTime; migrations never import model code, so they stay valid as the models move on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("index_prefix", sa.String(length=32), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("xxgk_area", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('government', 'department')", name=op.f("ck_agencies_kind")),
        sa.CheckConstraint(
            "level IN ('national', 'province', 'city', 'county', 'town')", name=op.f("ck_agencies_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agencies.id"], name=op.f("fk_agencies_parent_id_agencies"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencies_index_prefix"), ["index_prefix"], unique=False)
        batch_op.create_index(batch_op.f("ix_agencies_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agencies_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_agencies_uscc"), ["uscc"], unique=False)
        batch_op.create_index(batch_op.f("ix_agencies_xxgk_area"), ["xxgk_area"], unique=False)

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'interrupted', 'failed')", name=op.f("ck_crawl_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_runs_profile"), ["profile"], unique=False)

    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_captures_crawl_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
    )
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_captures_crawl_run_id"), ["crawl_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_captures_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_captures_url_key_sha256", ["url_key", "sha256"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("stat_year", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_reports_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "agency_id", "stat_year", "scope", name=op.f("uq_reports_agency_id_stat_year_scope")
        ),
    )
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_versions_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_versions")),
        sa.UniqueConstraint(
            "report_id", "content_hash", name=op.f("uq_report_versions_report_id_content_hash")
        ),
    )
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_report_versions_current",
            ["report_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "parse_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(length=32), nullable=False),
        sa.Column("format_version", sa.String(length=32), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name=op.f("fk_parse_results_version_id_report_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parse_results")),
        sa.UniqueConstraint(
            "version_id", "parser_version", name=op.f("uq_parse_results_version_id_parser_version")
        ),
    )
    with op.batch_alter_table("parse_results", schema=None) as batch_op:
        batch_op.create_index(
            "uq_parse_results_current",
            ["version_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "report_version_captures",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
            name=op.f("fk_report_version_captures_capture_id_captures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name=op.f("fk_report_version_captures_version_id_report_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "capture_id", name=op.f("pk_report_version_captures")),
    )
    with op.batch_alter_table("report_version_captures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_version_captures_capture_id"), ["capture_id"], unique=False
        )

    op.create_table(
        "cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parse_result_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("src", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parse_result_id"],
            ["parse_results.id"],
            name=op.f("fk_cells_parse_result_id_parse_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cells")),
        sa.UniqueConstraint("parse_result_id", "key", name=op.f("uq_cells_parse_result_id_key")),
    )
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cells_key"), ["key"], unique=False)

    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parse_result_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("left", sa.Double(), nullable=True),
        sa.Column("right", sa.Double(), nullable=True),
        sa.Column("delta", sa.Double(), nullable=True),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "status IN ('PASS', 'FAIL', 'NOT_ASSESSABLE')", name=op.f("ck_check_results_status")
        ),
        sa.ForeignKeyConstraint(
            ["parse_result_id"],
            ["parse_results.id"],
            name=op.f("fk_check_results_parse_result_id_parse_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_results_parse_result_id"), ["parse_result_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_check_results_rule"), ["rule"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_results_rule"))
        batch_op.drop_index(batch_op.f("ix_check_results_parse_result_id"))

    op.drop_table("check_results")
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cells_key"))

    op.drop_table("cells")
    with op.batch_alter_table("report_version_captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_version_captures_capture_id"))

    op.drop_table("report_version_captures")
    with op.batch_alter_table("parse_results", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_parse_results_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.drop_table("parse_results")
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_report_versions_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.drop_table("report_versions")
    op.drop_table("reports")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index("ix_captures_url_key_sha256")
        batch_op.drop_index(batch_op.f("ix_captures_sha256"))
        batch_op.drop_index(batch_op.f("ix_captures_crawl_run_id"))

    op.drop_table("captures")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_profile"))

    op.drop_table("crawl_runs")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencies_xxgk_area"))
        batch_op.drop_index(batch_op.f("ix_agencies_uscc"))
        batch_op.drop_index(batch_op.f("ix_agencies_region_code"))
        batch_op.drop_index(batch_op.f("ix_agencies_parent_id"))
        batch_op.drop_index(batch_op.f("ix_agencies_index_prefix"))

    op.drop_table("agencies")
