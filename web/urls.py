"""Where a redirect may go: only to this site."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def same_origin_path(target: str | None, fallback: str = "/") -> str:
    """`target` reduced to a path on this site; anything pointing elsewhere becomes `fallback`."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return fallback
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    return path + (f"?{parts.query}" if parts.query else "")
