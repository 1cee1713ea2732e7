"""Builds the server's `AssetDownloads`: wired to the `/ws` hub and to the caches that list model files."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.assets.models import AssetDownloadMessage
from comfyd.assets.service import AssetDownloads
from comfyd.assets.sources import SourcePolicy
from comfyd.assets.store import DownloadStore
from comfyd.assets.transfer import Transfer
from comfyd.config import ServerConfig
from comfyd.engine import nodeinfo
from comfyd.engine.folders import FolderPaths
from comfyd.server.ws.hub import WebSocketHub
from comfyd.server.ws.messages import text_message


def build_asset_downloads(
    config: ServerConfig, *, folders: FolderPaths, sessions: async_sessionmaker, hub: WebSocketHub
) -> AssetDownloads:
    policy = SourcePolicy(
        allow_hosts=tuple(config.asset_download_allow_hosts),
        allow_private=config.asset_download_allow_private,
    )

    def publish(client_id: str, scope: str | None, message: AssetDownloadMessage) -> None:
        # Kept in the client's replay log too, so a client that reconnects still sees the outcome.
        payload = text_message(message.type, message.data())
        if scope is None:
            hub.send_to_client(client_id, payload)
        else:
            hub.send_to_client(client_id, payload, scope=scope)

    return AssetDownloads(
        store=DownloadStore(sessions),
        folders=folders,
        policy=policy,
        transfer=Transfer(policy=policy, max_bytes=config.asset_download_max_size),
        publish=publish,
        # `/object_info` embeds file lists (a loader's COMBO); a new file must show without a restart.
        on_completed=nodeinfo.invalidate,
    )
