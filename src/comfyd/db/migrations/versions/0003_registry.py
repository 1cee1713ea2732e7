"""Comfy Registry: publishers, members, personal access tokens, packs, versions, node classes, reviews.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    _publishers()
    _packs()
    _versions()
    _reviews()


def _publishers() -> None:
    op.create_table(
        "registry_publishers",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("website", sa.String(1024), nullable=False),
        sa.Column("support_email", sa.String(320), nullable=False),
        sa.Column("source_code_repo", sa.String(1024), nullable=False),
        sa.Column("logo_url", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_publishers"),
    )
    op.create_table(
        "registry_publisher_members",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("publisher_id", sa.String(100), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_publisher_members"),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["registry_publishers.id"],
            name="fk_registry_publisher_members_publisher_id_registry_publishers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_registry_publisher_members_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("publisher_id", "user_id", name="uq_registry_publisher_members_publisher_id"),
    )
    op.create_index("ix_registry_publisher_members_user_id", "registry_publisher_members", ["user_id"])
    op.create_table(
        "registry_personal_access_tokens",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("publisher_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_used_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_registry_personal_access_tokens"),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["registry_publishers.id"],
            name="fk_registry_personal_access_tokens_publisher_id",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_registry_personal_access_tokens_token_hash"),
    )
    op.create_index(
        "ix_registry_personal_access_tokens_publisher_id", "registry_personal_access_tokens", ["publisher_id"]
    )


def _packs() -> None:
    op.create_table(
        "registry_packs",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("normalized_id", sa.String(100), nullable=False),
        sa.Column("publisher_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("license", sa.Text, nullable=False),
        sa.Column("repository_url", sa.String(1024), nullable=False),
        sa.Column("icon_url", sa.String(1024), nullable=False),
        sa.Column("banner_url", sa.String(1024), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("tags_admin", sa.JSON, nullable=False),
        sa.Column("supported_os", sa.JSON, nullable=False),
        sa.Column("supported_accelerators", sa.JSON, nullable=False),
        sa.Column("supported_comfyui_version", sa.String(255), nullable=False),
        sa.Column("supported_comfyui_frontend_version", sa.String(255), nullable=False),
        sa.Column("preempted_comfy_node_names", sa.JSON, nullable=False),
        sa.Column("search_ranking", sa.Integer, nullable=True),
        sa.Column("github_stars", sa.Integer, nullable=False),
        sa.Column("total_install", sa.Integer, nullable=False),
        sa.Column("total_star", sa.Integer, nullable=False),
        sa.Column("total_review", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_detail", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_packs"),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["registry_publishers.id"],
            name="fk_registry_packs_publisher_id_registry_publishers",
        ),
        sa.UniqueConstraint("normalized_id", name="uq_registry_packs_normalized_id"),
    )
    op.create_index("ix_registry_packs_publisher_id", "registry_packs", ["publisher_id"])
    op.create_index("ix_registry_packs_updated_at", "registry_packs", ["updated_at"])


def _versions() -> None:
    op.create_table(
        "registry_pack_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("pack_id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("changelog", sa.Text, nullable=False),
        sa.Column("dependencies", sa.JSON, nullable=False),
        sa.Column("deprecated", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("comfy_node_extract_status", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("tags_admin", sa.JSON, nullable=False),
        sa.Column("supported_os", sa.JSON, nullable=False),
        sa.Column("supported_accelerators", sa.JSON, nullable=False),
        sa.Column("supported_comfyui_version", sa.String(255), nullable=False),
        sa.Column("supported_comfyui_frontend_version", sa.String(255), nullable=False),
        sa.Column("archive_key", sa.String(1024), nullable=False),
        sa.Column("archive_size", sa.Integer, nullable=True),
        sa.Column("archive_sha256", sa.String(64), nullable=True),
        sa.Column("uploaded_at", TZ, nullable=True),
        sa.Column("checked_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_pack_versions"),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["registry_packs.id"],
            name="fk_registry_pack_versions_pack_id_registry_packs",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("pack_id", "version", name="uq_registry_pack_versions_pack_id"),
    )
    op.create_index("ix_registry_pack_versions_status", "registry_pack_versions", ["status", "pack_id"])
    op.create_table(
        "registry_comfy_nodes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("category", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("input_types", sa.Text, nullable=False),
        sa.Column("return_types", sa.Text, nullable=False),
        sa.Column("return_names", sa.Text, nullable=False),
        sa.Column("output_is_list", sa.JSON, nullable=False),
        sa.Column("function", sa.String(255), nullable=False),
        sa.Column("deprecated", sa.Boolean, nullable=False),
        sa.Column("experimental", sa.Boolean, nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_comfy_nodes"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_pack_versions.id"],
            name="fk_registry_comfy_nodes_version_id_registry_pack_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "name", name="uq_registry_comfy_nodes_version_id"),
    )
    op.create_index("ix_registry_comfy_nodes_name", "registry_comfy_nodes", ["name"])


def _reviews() -> None:
    op.create_table(
        "registry_reviews",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("pack_id", sa.String(100), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("star", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_reviews"),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["registry_packs.id"],
            name="fk_registry_reviews_pack_id_registry_packs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_registry_reviews_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("pack_id", "user_id", name="uq_registry_reviews_pack_id"),
    )


def downgrade() -> None:
    op.drop_table("registry_reviews")
    op.drop_index("ix_registry_comfy_nodes_name", table_name="registry_comfy_nodes")
    op.drop_table("registry_comfy_nodes")
    op.drop_index("ix_registry_pack_versions_status", table_name="registry_pack_versions")
    op.drop_table("registry_pack_versions")
    op.drop_index("ix_registry_packs_updated_at", table_name="registry_packs")
    op.drop_index("ix_registry_packs_publisher_id", table_name="registry_packs")
    op.drop_table("registry_packs")
    op.drop_index(
        "ix_registry_personal_access_tokens_publisher_id", table_name="registry_personal_access_tokens"
    )
    op.drop_table("registry_personal_access_tokens")
    op.drop_index("ix_registry_publisher_members_user_id", table_name="registry_publisher_members")
    op.drop_table("registry_publisher_members")
    op.drop_table("registry_publishers")
