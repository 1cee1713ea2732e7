"""Alembic environment: runs on the connection `comfyd.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

import comfyd.db.accounts  # noqa: F401  (registers the accounts tables on Base.metadata)
import comfyd.db.customers  # noqa: F401  (registers the customer, event and credit tables on Base.metadata)
import comfyd.db.registry  # noqa: F401  (registers the registry tables on Base.metadata)
import comfyd.db.releases  # noqa: F401  (registers the release notes table on Base.metadata)
import comfyd.db.workspaces  # noqa: F401  (registers the workspace tables on Base.metadata)
from comfyd.db import models  # noqa: F401  (registers the tables on Base.metadata)
from comfyd.db.base import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
