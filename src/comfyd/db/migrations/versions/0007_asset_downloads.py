"""Asset downloads: model files fetched into model folders, resumable after a restart.

Revision ID: 0007
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0003"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "asset_downloads",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("folder", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(1024), nullable=False),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bytes_done", sa.BigInteger, nullable=False),
        sa.Column("bytes_total", sa.BigInteger, nullable=True),
        sa.Column("validator", sa.String(1024), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("owner_id", sa.String(128), nullable=True),
        sa.Column("client_id", sa.String(255), nullable=True),
        sa.Column("client_scope", sa.String(128), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_asset_downloads"),
    )
    op.create_index("ix_asset_downloads_status", "asset_downloads", ["status"])
    op.create_index("ix_asset_downloads_owner_id", "asset_downloads", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_asset_downloads_owner_id", table_name="asset_downloads")
    op.drop_index("ix_asset_downloads_status", table_name="asset_downloads")
    op.drop_table("asset_downloads")
