"""ComfyUI's launch flags, parsed with the same meanings, into a `ServerConfig`.

ComfyUI's flags take optional values (`--listen` alone means every interface,
`--enable-cors-header` alone means `*`), which argparse expresses directly, so `serve` hands its
arguments to this parser rather than declaring each flag to typer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from comfyd.config import ServerConfig


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comfyd serve", description="Serve the ComfyUI API (and frontend).")
    p.add_argument("--listen", nargs="?", const="0.0.0.0", default="127.0.0.1", help="address(es) to listen on")
    p.add_argument("--port", type=int, default=8188)
    p.add_argument("--base-directory", type=Path)
    p.add_argument("--input-directory", type=Path)
    p.add_argument("--output-directory", type=Path)
    p.add_argument("--temp-directory", type=Path)
    p.add_argument("--user-directory", type=Path)
    p.add_argument("--extra-model-paths-config", type=Path, nargs="+", action="append", default=[])
    p.add_argument("--cpu", action="store_true", help="accepted for compatibility; comfyd nodes run on the CPU")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--cache-classic", action="store_true")
    cache.add_argument("--cache-lru", type=int, metavar="N")
    cache.add_argument("--cache-none", action="store_true")
    p.add_argument("--multi-user", action="store_true")
    p.add_argument("--enable-cors-header", nargs="?", const="*", default=None)
    p.add_argument("--max-upload-size", type=float, default=100.0, help="megabytes")
    p.add_argument("--tls-keyfile", type=Path)
    p.add_argument("--tls-certfile", type=Path)
    p.add_argument("--front-end-root", type=Path)
    p.add_argument("--database-url")
    p.add_argument("--disable-all-custom-nodes", action="store_true")
    p.add_argument("--whitelist-custom-nodes", nargs="+", default=[])
    p.add_argument("--verbose", nargs="?", const="DEBUG", default="INFO")
    p.add_argument("--no-worker", action="store_true", help="serve the API only; workers run elsewhere")
    p.add_argument("--preview-size", type=int, default=512)
    p.add_argument("--registry-prefix", default="/registry", help="where to mount the node-pack registry; '' for none")
    p.add_argument(
        "--auth", choices=["off", "required"], default="off", help="ask every route and /ws for an identity"
    )
    p.add_argument("--auth-jwks-url", help="accept Bearer JWTs signed by the keys at this JWKS URL")
    p.add_argument("--auth-issuer", help="the `iss` those JWTs must have")
    p.add_argument("--auth-audience", help="the `aud` those JWTs must have")
    p.add_argument(
        "--tls-self-signed", action="store_true", help="serve https with a certificate made for localhost"
    )
    p.add_argument(
        "--asset-download-allow-hosts", nargs="+", default=[], metavar="HOST", help="hosts model downloads may come from (HOST or *.DOMAIN); default: any"
    )
    p.add_argument("--asset-download-allow-private", action="store_true", help="let model downloads reach private and loopback addresses")
    p.add_argument("--asset-download-max-size", type=float, default=100 * 1024.0, help="largest model download, in megabytes")
    return p


def config_from_args(argv: list[str]) -> ServerConfig:
    args = parser().parse_args(argv)
    cache, lru_size = "classic", 0
    if args.cache_lru is not None:
        cache, lru_size = "lru", args.cache_lru
    elif args.cache_none:
        cache = "none"
    values = {
        "listen": args.listen,
        "port": args.port,
        "input_directory": args.input_directory,
        "output_directory": args.output_directory,
        "temp_directory": args.temp_directory,
        "user_directory": args.user_directory,
        "extra_model_paths_config": [p for group in args.extra_model_paths_config for p in group],
        "cpu": args.cpu,
        "cache": cache,
        "cache_lru_size": lru_size,
        "multi_user": args.multi_user,
        "enable_cors_header": args.enable_cors_header,
        "max_upload_size_mb": args.max_upload_size,
        "tls_keyfile": args.tls_keyfile,
        "tls_certfile": args.tls_certfile,
        "front_end_root": args.front_end_root,
        "database_url": args.database_url,
        "disable_all_custom_nodes": args.disable_all_custom_nodes,
        "whitelist_custom_nodes": args.whitelist_custom_nodes,
        "verbose": args.verbose.upper(),
        "run_worker": not args.no_worker,
        "preview_size": args.preview_size,
        "registry_prefix": _prefix(args.registry_prefix),
        "auth": args.auth,
        "auth_jwks_url": args.auth_jwks_url,
        "auth_issuer": args.auth_issuer,
        "auth_audience": args.auth_audience,
        "tls_self_signed": args.tls_self_signed,
        "asset_download_allow_hosts": args.asset_download_allow_hosts,
        "asset_download_allow_private": args.asset_download_allow_private,
        "asset_download_max_size_mb": args.asset_download_max_size,
    }
    if args.base_directory is not None:
        values["base_directory"] = args.base_directory
    return ServerConfig(**values)


def _prefix(value: str) -> str | None:
    """A mount prefix as Starlette wants it (`/registry`), or None for an empty one."""
    value = value.strip().strip("/")
    return f"/{value}" if value else None
