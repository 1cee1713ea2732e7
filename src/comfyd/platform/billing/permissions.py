"""Who may do what with a workspace's billing, in the workspaces' `scope:resource:action` grammar.

Every member may read the billing (status, balance, plans, events): the Cloud panel shows them to
members too. Only owners manage it: open the billing page, where credit is added.
"""

from __future__ import annotations

from enum import StrEnum

from comfyd.db.workspaces import WorkspaceRole
from comfyd.platform.workspaces.errors import PermissionDenied
from comfyd.platform.workspaces.membership import Membership


class BillingPermission(StrEnum):
    BILLING_MANAGE = "workspace:billing:manage"
    BILLING_READ = "workspace:billing:read"


ROLE_PERMISSIONS: dict[str, frozenset[BillingPermission]] = {
    WorkspaceRole.MEMBER: frozenset({BillingPermission.BILLING_READ}),
    WorkspaceRole.OWNER: frozenset(BillingPermission),
}


def allows(membership: Membership, permission: BillingPermission) -> bool:
    return permission in ROLE_PERMISSIONS.get(membership.role, frozenset())


def require(membership: Membership, permission: BillingPermission) -> None:
    """Raise `PermissionDenied` (403, Cloud's `{error, message, code}`) unless the role allows it."""
    if not allows(membership, permission):
        raise PermissionDenied(membership.workspace.id, permission)
