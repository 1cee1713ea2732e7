"""Workspaces: workspaces, members, invites, the keys that sign workspace tokens, and the workspace
an API key was made for. Every existing user gets a personal workspace.

Revision ID: 0006
Revises: 0003
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"

TZ = sa.DateTime(timezone=True)
PERSONAL_WORKSPACE_NAME = "Personal workspace"  # as comfyd.db.workspaces names it


def upgrade() -> None:
    _workspaces()
    _invites()
    op.create_table(
        "auth_signing_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_signing_keys"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("workspace_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            "fk_api_keys_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"], ondelete="SET NULL"
        )
    _give_every_user_a_personal_workspace()


def _workspaces() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("personal_owner_id", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.ForeignKeyConstraint(
            ["personal_owner_id"],
            ["users.id"],
            name="fk_workspaces_personal_owner_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_workspaces_created_by_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("personal_owner_id", name="uq_workspaces_personal_owner_id"),
    )
    op.create_table(
        "workspace_members",
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name="pk_workspace_members"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_workspace_members_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_workspace_members_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_workspace_members_user_id", "workspace_members", ["user_id"])


def _invites() -> None:
    op.create_table(
        "workspace_invites",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.String(128), nullable=True),
        sa.Column("invited_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("accepted_by", sa.String(128), nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_invites"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_workspace_invites_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name="fk_workspace_invites_invited_by_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name="fk_workspace_invites_accepted_by_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("token_hash", name="uq_workspace_invites_token_hash"),
    )
    op.create_index("ix_workspace_invites_workspace_id", "workspace_invites", ["workspace_id"])


def _give_every_user_a_personal_workspace() -> None:
    users = sa.table("users", sa.column("id", sa.String))
    workspaces = sa.table(
        "workspaces",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("type", sa.String),
        sa.column("personal_owner_id", sa.String),
        sa.column("created_by", sa.String),
        sa.column("created_at", TZ),
    )
    members = sa.table(
        "workspace_members",
        sa.column("workspace_id", sa.String),
        sa.column("user_id", sa.String),
        sa.column("role", sa.String),
        sa.column("joined_at", TZ),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = [(user_id, str(uuid.uuid4())) for (user_id,) in connection.execute(sa.select(users.c.id))]
    if not rows:
        return
    connection.execute(
        workspaces.insert(),
        [
            {
                "id": workspace_id,
                "name": PERSONAL_WORKSPACE_NAME,
                "type": "personal",
                "personal_owner_id": user_id,
                "created_by": user_id,
                "created_at": now,
            }
            for user_id, workspace_id in rows
        ],
    )
    connection.execute(
        members.insert(),
        [
            {"workspace_id": workspace_id, "user_id": user_id, "role": "owner", "joined_at": now}
            for user_id, workspace_id in rows
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_workspace_id_workspaces", type_="foreignkey")
        batch.drop_column("workspace_id")
    op.drop_table("auth_signing_keys")
    op.drop_index("ix_workspace_invites_workspace_id", table_name="workspace_invites")
    op.drop_table("workspace_invites")
    op.drop_index("ix_workspace_members_user_id", table_name="workspace_members")
    op.drop_table("workspace_members")
    op.drop_table("workspaces")
