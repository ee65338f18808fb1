"""Files uploaded in the import wizard, kept between its steps.

The wizard's browser holds only an unguessable token; the file lives under the data
directory's tmp/ in a name of our making, beside a small JSON sidecar naming its owner,
its original name and the profile it was last checked with. A token is honoured only for
its owner. Uploads older than a day are removed whenever a new one arrives.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web.importing import workdir

PREFIX = "wizard-"
MAX_AGE_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class UploadError(ValueError):
    """The token names no upload this person may use; `key` is the message to show."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


@dataclass
class Upload:
    token: str
    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.meta.get("name") or "upload"


def _paths(services, token: str) -> tuple[Path, Path]:
    folder = workdir(services)
    return folder / f"{PREFIX}{token}.data", folder / f"{PREFIX}{token}.json"


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _write_meta(path: Path, meta: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(meta), encoding="utf-8")
    temporary.replace(path)


def remove_stale(services, max_age: float = MAX_AGE_SECONDS) -> int:
    """Delete wizard uploads older than `max_age` seconds; returns how many files went."""
    cutoff = time.time() - max_age
    removed = 0
    for path in workdir(services).glob(f"{PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:   # another request cleaned it first
            continue
    return removed


def store(services, owner: str, name: str, data: bytes) -> Upload:
    """Keep `data` for `owner` and return its token (the sender's file name is only a label)."""
    remove_stale(services)
    token = secrets.token_urlsafe(24)
    path, meta_path = _paths(services, token)
    meta = {"owner": owner, "name": name[:255], "size": len(data), "created": time.time(), "checked": None}
    _write_private(path, data)
    _write_meta(meta_path, meta)
    return Upload(token, path, meta)


def open_upload(services, token: Any, owner: str) -> Upload:
    """The upload `token` names, if it exists and belongs to `owner`."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise UploadError("imports.upload_missing")
    path, meta_path = _paths(services, token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise UploadError("imports.upload_missing") from None
    if not isinstance(meta, dict) or not secrets.compare_digest(str(meta.get("owner")), owner):
        raise UploadError("imports.upload_not_yours")
    if not path.exists():
        raise UploadError("imports.upload_missing")
    return Upload(token, path, meta)


def mark_checked(services, upload: Upload, fingerprint: str | None) -> None:
    """Remember the profile the file was last dry-run with (None: no clean dry run)."""
    upload.meta["checked"] = fingerprint
    _write_meta(_paths(services, upload.token)[1], upload.meta)


def discard(services, upload: Upload) -> None:
    for path in _paths(services, upload.token):
        path.unlink(missing_ok=True)
