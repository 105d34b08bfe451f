"""Evaluations: datasets (named, content-addressed versions), their examples, evaluations
and their per-row results.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", "hash"),
    )
    op.create_index("ix_datasets_created_at", "datasets", ["created_at"])
    op.create_table(
        "dataset_examples",
        sa.Column("dataset_hash", sa.String(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_hash", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "evaluations",
        sa.Column("eval_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("workflow_hash", sa.String(), nullable=False),
        sa.Column("dataset_hash", sa.String(), nullable=False),
        sa.Column("dataset_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("eval_path", sa.Text(), nullable=True),
        sa.Column("parent_eval_id", sa.String(), nullable=True),
        sa.Column("rows_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("eval_id"),
    )
    op.create_index("ix_evaluations_dataset_hash", "evaluations", ["dataset_hash"])
    op.create_index("ix_evaluations_started_at", "evaluations", ["started_at"])
    op.create_table(
        "eval_results",
        sa.Column("eval_id", sa.String(), nullable=False),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("row_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("repeat", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("run_status", sa.String(), nullable=False),
        sa.Column("outputs_json", sa.Text(), nullable=False),
        sa.Column("scores_json", sa.Text(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("model_calls", sa.Integer(), nullable=False),
        sa.Column("remote_calls", sa.Integer(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("scoring_cost_usd", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["eval_id"], ["evaluations.eval_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("eval_id", "variant", "row_index", "repeat"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("eval_results")
    op.drop_index("ix_evaluations_started_at", table_name="evaluations")
    op.drop_index("ix_evaluations_dataset_hash", table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_table("dataset_examples")
    op.drop_index("ix_datasets_created_at", table_name="datasets")
    op.drop_table("datasets")
