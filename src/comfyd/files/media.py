"""What a served file is called and declared as: Content-Type, Content-Disposition, safety headers.

Files under input/output/temp come from users and from node packs, so nothing served from them may
act as a page or a script on the server's origin: active types are sent as opaque bytes, browsers
are told not to sniff, and the response carries a `sandbox` CSP in case one is rendered anyway.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

OCTET_STREAM = "application/octet-stream"

# ComfyUI downloads the first five rather than display them. SVG and the XML family are added here:
# a browser runs the scripts inside them when they are opened as a document.
ACTIVE_MEDIA_TYPES = frozenset(
    {
        "text/html",
        "text/html-sandboxed",
        "application/xhtml+xml",
        "text/javascript",
        "text/css",
        "image/svg+xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/xml",
        "text/xml",
        "text/xsl",
    }
)

# Types `mimetypes` reads from the host's tables, which some minimal systems lack.
_FALLBACK_TYPES = {".webp": "image/webp", ".webm": "video/webm", ".mp4": "video/mp4"}

SAFETY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def media_type(name: str) -> str:
    """The Content-Type to serve `name` with: its guessed type, or octet-stream when it is active."""
    guessed = mimetypes.guess_type(name)[0]
    if guessed is None:
        guessed = _FALLBACK_TYPES.get(_extension(name), OCTET_STREAM)
    return OCTET_STREAM if is_active(guessed) else guessed


def is_active(content_type: str) -> bool:
    """Whether a browser would run script in a document of this type (`+xml` types included)."""
    content_type = content_type.lower()
    return content_type in ACTIVE_MEDIA_TYPES or content_type.endswith("+xml")


def content_disposition(name: str) -> str:
    """ComfyUI's inline `filename="<name>"`, with an RFC 6266 `filename*` for names HTTP cannot carry.

    Header values are Latin-1 and must not hold quotes or line breaks, so such names get an ASCII
    stand-in in `filename` and their real spelling, percent-encoded, in `filename*`.
    """
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'filename="{name}"'
    stand_in = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"filename=\"{stand_in}\"; filename*=UTF-8''{quote(name, safe='')}"


def served_headers(name: str) -> dict[str, str]:
    """The headers every file or rendition served under `name` carries, Content-Type aside."""
    return {"Content-Disposition": content_disposition(name), **SAFETY_HEADERS}


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""
