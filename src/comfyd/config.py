"""`ServerConfig`: the effective configuration of one comfyd server, from ComfyUI's launch flags.

Paths follow ComfyUI's layout: everything defaults to folders under the base directory (the
current directory unless `--base-directory` is given), so comfyd can be pointed at an existing
ComfyUI folder and use its models, inputs, outputs and user data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

CacheMode = Literal["classic", "lru", "none"]
AuthMode = Literal["off", "required"]


class ServerConfig(BaseModel):
    """Everything `comfyd serve` was told; secrets never live here."""

    listen: str = "127.0.0.1"
    port: int = 8188
    base_directory: Path = Field(default_factory=Path.cwd)
    input_directory: Path | None = None
    output_directory: Path | None = None
    temp_directory: Path | None = None
    user_directory: Path | None = None
    extra_model_paths_config: list[Path] = Field(default_factory=list)
    cpu: bool = False
    cache: CacheMode = "classic"
    cache_lru_size: int = 0
    multi_user: bool = False
    # "required": every ComfyUI route and /ws need an identity, and data is scoped to its workspace.
    auth: AuthMode = "off"
    enable_cors_header: str | None = None
    max_upload_size_mb: float = 100.0
    tls_keyfile: Path | None = None
    tls_certfile: Path | None = None
    front_end_root: Path | None = None
    database_url: str | None = None
    disable_all_custom_nodes: bool = False
    whitelist_custom_nodes: list[str] = Field(default_factory=list)
    verbose: str = "INFO"
    run_worker: bool = True
    preview_size: int = 512
    # Where the Comfy Registry (api.comfy.org's surface) is mounted; None serves none.
    registry_prefix: str | None = "/registry"
    # Model downloads (`POST /api/assets/download`): the hosts they may come from (empty: any),
    # whether private and loopback addresses may be reached, and the largest file accepted.
    asset_download_allow_hosts: list[str] = Field(default_factory=list)
    asset_download_allow_private: bool = False
    asset_download_max_size_mb: float = 100 * 1024.0

    # Authentication (comfyd.platform.auth; the mode switch is `auth` above): the identity provider
    # whose JWTs are accepted (JWKS URL, issuer, audience), and a self-signed certificate for https.
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    tls_self_signed: bool = False

    @property
    def max_upload_size(self) -> int:
        """The body limit in bytes, as ComfyUI computes it from megabytes."""
        return round(self.max_upload_size_mb * 1024 * 1024)

    @property
    def asset_download_max_size(self) -> int:
        """The largest model download accepted, in bytes."""
        return round(self.asset_download_max_size_mb * 1024 * 1024)

    @property
    def user_root(self) -> Path:
        return (self.user_directory or self.base_directory / "user").resolve()

    @property
    def registry_archive_root(self) -> Path:
        """Where published pack archives are kept: `<base>/registry/archives`."""
        return (self.base_directory / "registry" / "archives").resolve()

    @property
    def effective_database_url(self) -> str:
        """`--database-url`, or an SQLite file in the user directory (the embedded default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.user_root / 'comfyd.db'}"

    def public(self) -> dict:
        """The non-secret configuration, as `GET /config` shows it."""
        data = self.model_dump(mode="json")
        if self.database_url:
            data["database_url"] = _redact_url(self.database_url)
        return data


def _redact_url(url: str) -> str:
    """Hide a password in a database URL (`user:***@host`)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
