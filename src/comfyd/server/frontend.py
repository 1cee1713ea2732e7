"""`Frontend`: the official web frontend's files, the page's security policy, and workflow templates.

The web root is `--front-end-root` or the `static/` folder of the `comfyui-frontend-package`
wheel, as ComfyUI finds it. Core workflow templates come from the `comfyui-workflow-templates`
package when it is installed; comfyd does not depend on it, and without it the template index is
empty. Nothing here speaks HTTP; `server/staticfiles.py` and the routes do.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import logging
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfyd.engine.paths import resolve_inside

logger = logging.getLogger(__name__)

FRONTEND_MODULE = "comfyui_frontend_package"
TEMPLATES_MODULE = "comfyui_workflow_templates"

# Without the templates package these index files still answer, with the empty values the
# frontend itself falls back to: `index.json` and its translations (`index.fr.json`) list no
# templates, and `index_logo.json` maps no provider to a logo.
_TEMPLATE_INDEX = re.compile(r"index(\.[A-Za-z_-]+)?\.json")
_LOGO_INDEX = "index_logo.json"
_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
# A Host header is echoed into the policy, so only characters a host name or port can hold pass.
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$")


@dataclass(frozen=True)
class IndexPage:
    """`index.html` and the Content-Security-Policy to send with it."""

    body: bytes
    content_security_policy: str


class Frontend:
    """The web root the server serves at `/`, and the templates package's folder, if any.

    Either root may be `None` (no frontend installed, or no templates package); callers then
    answer 404, or an empty template index.
    """

    def __init__(self, root: Path | None, *, templates_root: Path | None = None) -> None:
        self.root = root
        self.templates_root = templates_root
        self._script_hashes: tuple[int, tuple[str, ...]] | None = None

    @classmethod
    def locate(cls, configured_root: Path | None = None) -> Frontend:
        """The configured web root, else the installed frontend package's; templates if installed."""
        root = configured_root.absolute() if configured_root is not None else _package_folder(FRONTEND_MODULE, "static")
        if root is None or not root.is_dir():
            logger.warning("No frontend web root found (%s); only the API will be served.", root)
            root = None
        templates = _package_folder(TEMPLATES_MODULE, "templates")
        return cls(root, templates_root=templates if templates is not None and templates.is_dir() else None)

    def index_page(self, host: str | None) -> IndexPage | None:
        """`index.html` with a policy for a page served to `host`; `None` without a frontend."""
        index = self.file("index.html")
        if index is None:
            return None
        body = index.read_bytes()
        return IndexPage(body, content_security_policy(self._inline_script_hashes(index, body), host))

    def file(self, relative: str) -> Path | None:
        """A file inside the web root, or `None` (no frontend, no such file, or it leaves the root)."""
        return None if self.root is None else _file_inside(self.root, relative)

    def extension_file(self, relative: str) -> Path | None:
        """A file inside the web root's `extensions/` folder (the frontend's own extensions)."""
        return None if self.root is None else _file_inside(self.root / "extensions", relative)

    def is_index(self, relative: str) -> bool:
        """Whether a path below the web root names the page (`/` or `index.html`), however spelled."""
        return posixpath.normpath("/" + relative.lstrip("/")) in ("/", "/index.html")

    def core_extension_urls(self) -> list[str]:
        """`/extensions/...` for every `.js` file below the web root's `extensions/` folder."""
        if self.root is None:
            return []
        folder = self.root / "extensions"
        return sorted("/" + p.relative_to(self.root).as_posix() for p in folder.rglob("*.js") if p.is_file())

    def template_file(self, relative: str) -> Path | None:
        """A file of the templates package, or `None` (not installed, or no such file)."""
        return None if self.templates_root is None else _file_inside(self.templates_root, relative)

    def empty_template_index(self, relative: str) -> list[Any] | dict[str, Any] | None:
        """What a template index holds without the templates package: `[]`, `{}`; else `None`.

        With the package installed a missing file stays missing: the frontend answers a 404 on a
        translated index by falling back to the English one.
        """
        if self.templates_root is not None:
            return None
        if _TEMPLATE_INDEX.fullmatch(relative):
            return []
        return {} if relative == _LOGO_INDEX else None

    def _inline_script_hashes(self, index: Path, body: bytes) -> tuple[str, ...]:
        # Hashing is cheap, but index.html is fetched on every page load; reuse the hashes until
        # the file changes (a frontend upgraded in place).
        mtime = index.stat().st_mtime_ns
        if self._script_hashes is None or self._script_hashes[0] != mtime:
            self._script_hashes = (mtime, inline_script_hashes(body.decode("utf-8", errors="replace")))
        return self._script_hashes[1]


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP source expressions (`'sha256-...'`) for each inline `<script>` in a page."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        if "src=" in match.group("attrs").lower():
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return tuple(hashes)


def content_security_policy(script_hashes: tuple[str, ...], host: str | None) -> str:
    """The policy for the frontend page: it may talk only to the server that served it.

    The official bundle ships Sentry and Datadog clients and loads analytics on demand; with
    `connect-src` limited to this origin (HTTP and its WebSocket) and scripts limited to this
    origin plus the page's own inline scripts, none of them can send anything elsewhere. `data:`
    and `blob:` stay allowed where the page uses them for images, media, fonts and workers, and
    `'wasm-unsafe-eval'` lets the 3D viewer compile its WebAssembly decoders.
    """
    websocket = ""
    if host and _SAFE_HOST.match(host):
        # 'self' covers ws:/wss: to the same host only in CSP 3 browsers; name them for the rest.
        websocket = f" ws://{host} wss://{host}"
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(("'self'", "'wasm-unsafe-eval'", *script_hashes)),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "media-src": "'self' data: blob:",
        "connect-src": f"'self'{websocket} data: blob:",
        "worker-src": "'self' blob:",
        "frame-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _package_folder(module: str, folder: str) -> Path | None:
    """`<module>/<folder>` of an installed package, or `None` if the package is missing."""
    try:
        return Path(str(importlib.resources.files(module) / folder))
    except ModuleNotFoundError:
        return None


def _file_inside(root: Path, relative: str) -> Path | None:
    candidate = resolve_inside(root, relative)
    return candidate if candidate is not None and candidate.is_file() else None
