"""`AuthService`: the app's `Authenticator` (credentials → `Identity` in a workspace) and the
token exchange that mints workspace tokens.

Which credential proves the user:

* an API key (`X-API-Key`, or a Bearer `comfyui-…`): its user; `auth_method` `api_key`;
* a Bearer JWT that comfyd minted (`iss` = `urn:comfyd`): its `sub`; `workspace_token`;
* any other Bearer JWT: checked by the identity provider, if one is configured, and its `sub`
  becomes a user on first sight; `jwt`. Without a provider it proves nothing (anonymous).

Which workspace the identity acts in: a workspace token's own; else `Comfy-Workspace-Id` (or
`?workspace_id=` on a WebSocket); else the workspace the API key was made for; else the user's
personal workspace. Every choice is checked against the memberships in the database on every
request: a user who is not (or no longer) a member gets `NoWorkspaceAccess` (403).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.config import ServerConfig
from comfyd.db.accounts import UserRecord
from comfyd.platform.accounts.errors import NoWorkspaceAccess, Unauthenticated, UserExists, UserNotFound
from comfyd.platform.accounts.identity import Credentials, Identity
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.auth.models import WorkspaceTokenResponse
from comfyd.platform.auth.providers import IdentityProvider, JwksIdentityProvider, NoIdentityProvider
from comfyd.platform.auth.signing import SigningKeys
from comfyd.platform.auth.tokens import WorkspaceTokens, is_comfyd_token
from comfyd.platform.workspaces.errors import WorkspaceNotFound
from comfyd.platform.workspaces.membership import Membership
from comfyd.platform.workspaces.permissions import permissions_of
from comfyd.platform.workspaces.service import WorkspaceService
from comfyd.platform.workspaces.views import workspace_summary


class AuthService:
    """Authentication for one app.

    For example:

        auth = AuthService.build(config, sessions=sessions, accounts=accounts, workspaces=workspaces)
        app.state.auth = auth        # read by OptionalIdentity / RequiredIdentity
    """

    def __init__(
        self,
        *,
        accounts: AccountService,
        workspaces: WorkspaceService,
        tokens: WorkspaceTokens,
        provider: IdentityProvider,
    ) -> None:
        self._accounts = accounts
        self._workspaces = workspaces
        self._tokens = tokens
        self._provider = provider

    @classmethod
    def build(
        cls,
        config: ServerConfig,
        *,
        sessions: async_sessionmaker[AsyncSession],
        accounts: AccountService,
        workspaces: WorkspaceService,
    ) -> AuthService:
        """The service `config` asks for: a JWKS provider when `auth_jwks_url` is set."""
        provider: IdentityProvider = NoIdentityProvider()
        if config.auth_jwks_url:
            provider = JwksIdentityProvider(
                config.auth_jwks_url, issuer=config.auth_issuer, audience=config.auth_audience
            )
        return cls(
            accounts=accounts,
            workspaces=workspaces,
            tokens=WorkspaceTokens(SigningKeys(sessions)),
            provider=provider,
        )

    async def start(self) -> None:
        """Make comfyd's signing key now if the database has none, rather than on the first mint."""
        await self._tokens.prepare()

    async def authenticate(self, credentials: Credentials) -> Identity | None:
        if credentials.api_key is not None:
            return await self._by_api_key(credentials)
        if credentials.bearer is None:
            return None
        if is_comfyd_token(credentials.bearer):
            return await self._by_workspace_token(credentials)
        return await self._by_external_token(credentials)

    async def mint(self, identity: Identity, workspace_id: str | None = None) -> WorkspaceTokenResponse:
        """A workspace token for `identity` in `workspace_id` (by default, where it acts now).

        Raises `WorkspaceNotFound` when there is no such workspace and `NoWorkspaceAccess` when
        the user is not a member of it.
        """
        membership = await self._membership_for_token(identity, workspace_id or identity.workspace_id)
        workspace = membership.workspace
        minted = await self._tokens.mint(
            user_id=identity.user_id, email=identity.email, workspace_id=workspace.id, role=membership.role
        )
        return WorkspaceTokenResponse(
            token=minted.token,
            expires_at=minted.expires_at,
            workspace=workspace_summary(workspace),
            role=membership.role,
            permissions=permissions_of(membership.role),
            user_id=identity.user_id,
        )

    async def _by_api_key(self, credentials: Credentials) -> Identity:
        match = await self._accounts.match_api_key(credentials.api_key or "")
        if match is None:
            raise Unauthenticated(
                "The API key is not valid: it is unknown or revoked, or its user is banned."
            )
        identity = replace(match.identity, auth_method="api_key")
        return await self._place(identity, credentials.workspace_id or match.workspace_id)

    async def _by_workspace_token(self, credentials: Credentials) -> Identity:
        claims = await self._tokens.read(credentials.bearer or "")
        if credentials.workspace_id not in (None, claims.workspace_id):
            # A workspace token acts in its own workspace only; asking for another is refused
            # rather than quietly ignored.
            raise NoWorkspaceAccess(credentials.workspace_id)
        user = await self._active_user(claims.user_id)
        return await self._place(_identity_of(user, "workspace_token"), claims.workspace_id)

    async def _by_external_token(self, credentials: Credentials) -> Identity | None:
        external = await self._provider.verify(credentials.bearer or "")
        if external is None:
            return None
        try:
            user = await self._accounts.ensure_user(
                user_id=external.user_id, email=external.email, name=external.name
            )
        except UserExists as exc:
            raise Unauthenticated(
                f"The token's email {external.email} belongs to another account on this server."
            ) from exc
        if user.is_banned:
            raise Unauthenticated("This user is banned.")
        return await self._place(_identity_of(user, "jwt"), credentials.workspace_id)

    async def _active_user(self, user_id: str) -> UserRecord:
        try:
            user = await self._accounts.get_user(user_id)
        except UserNotFound as exc:
            raise Unauthenticated("The token's user no longer exists.") from exc
        if user.is_banned:
            raise Unauthenticated("This user is banned.")
        return user

    async def _place(self, identity: Identity, workspace_id: str | None) -> Identity:
        """`identity` acting in `workspace_id` (None: their personal workspace), if a member."""
        if workspace_id is None:
            membership = await self._workspaces.personal(identity.user_id)
        else:
            membership = await self._workspaces.membership(
                workspace_id=workspace_id, user_id=identity.user_id
            )
            if membership is None:
                raise NoWorkspaceAccess(workspace_id)
        return identity.in_workspace(membership.workspace.id, membership.role)

    async def _membership_for_token(self, identity: Identity, workspace_id: str | None) -> Membership:
        if workspace_id is None:
            return await self._workspaces.personal(identity.user_id)
        membership = await self._workspaces.membership(workspace_id=workspace_id, user_id=identity.user_id)
        if membership is None:
            if not await self._workspaces.exists(workspace_id):
                raise WorkspaceNotFound(workspace_id)
            raise NoWorkspaceAccess(workspace_id)
        return membership


def _identity_of(user: UserRecord, auth_method: str) -> Identity:
    return Identity(
        user_id=user.id, email=user.email, name=user.name, is_admin=user.is_admin, auth_method=auth_method
    )
