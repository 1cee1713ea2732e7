"""Customers, the platform event log, credit balances, server secrets and release notes.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"

TZ = sa.DateTime(timezone=True)
# SQLite numbers rows itself only for a column declared exactly INTEGER PRIMARY KEY.
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _customers()
    _events()
    _credits()
    _releases()


def _customers() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("signup_source", sa.String(32), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.ForeignKeyConstraint(["id"], ["users.id"], name="fk_customers_id_users", ondelete="CASCADE"),
    )


def _events() -> None:
    op.create_table(
        "platform_events",
        sa.Column("seq", SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("workspace_id", sa.String(128), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_platform_events"),
        sa.UniqueConstraint("id", name="uq_platform_events_id"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_platform_events_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_platform_events_user", "platform_events", ["user_id", "workspace_id", "seq"])
    op.create_index("ix_platform_events_workspace", "platform_events", ["workspace_id", "seq"])


def _credits() -> None:
    op.create_table(
        "credit_balances",
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id", name="pk_credit_balances"),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_server_secrets"),
    )


def _releases() -> None:
    op.create_table(
        "release_notes",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("attention", sa.String(8), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("github_release_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_release_notes"),
        sa.UniqueConstraint("project", "version", "locale", name="uq_release_notes_project"),
    )
    op.create_index("ix_release_notes_published", "release_notes", ["project", "published_at"])
    op.create_index("ix_release_notes_github_release_id", "release_notes", ["github_release_id"])


def downgrade() -> None:
    op.drop_index("ix_release_notes_github_release_id", table_name="release_notes")
    op.drop_index("ix_release_notes_published", table_name="release_notes")
    op.drop_table("release_notes")
    op.drop_table("server_secrets")
    op.drop_table("credit_balances")
    op.drop_index("ix_platform_events_workspace", table_name="platform_events")
    op.drop_index("ix_platform_events_user", table_name="platform_events")
    op.drop_table("platform_events")
    op.drop_table("customers")
