"""Imports as people and programs use them: saved profiles by name (the app database, then
the shipped ones in data/profiles/), uploads kept as temporary files, the original kept
with its sha256 on commit, and every import and revert in the audit log."""
from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select

from appdb.models import ImportProfile, utcnow
from metrics import imports
from metrics.access import Scope
from metrics.imports import ImportError_, ImportReport
from metrics.profiles import Profile, ProfileError
from web import audit
from web.reasons import Reason, web_reason

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "profiles"
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def list_profiles(services) -> list[dict[str, Any]]:
    """Saved profiles, then shipped ones not overridden by a saved one of the same name."""
    with services.session() as session:
        saved = [{"name": p.name, "document": p.document, "source": "saved", "updated_by": p.created_by}
                 for p in session.scalars(select(ImportProfile).order_by(ImportProfile.name))]
    names = {p["name"] for p in saved}
    shipped = [{"name": path.stem, "document": json.loads(path.read_text(encoding="utf-8")), "source": "shipped"}
               for path in sorted(SHIPPED.glob("*.json")) if path.stem not in names]
    return saved + shipped


def find_profile(services, name: str) -> dict | None:
    return next((p["document"] for p in list_profiles(services) if p["name"] == name), None)


def save_profile(services, name: str, document: Any, actor: str) -> Profile:
    """Check and save (or replace) a profile under `name`."""
    if not isinstance(name, str) or not PROFILE_NAME.match(name):
        raise ProfileError([web_reason("profile.name")])
    profile = Profile.parse(document)
    with services.session() as session, session.begin():
        row = session.scalar(select(ImportProfile).where(ImportProfile.name == name))
        if row is None:
            session.add(ImportProfile(name=name, document=document, created_by=actor))
        else:
            row.document, row.created_by, row.updated_at = document, actor, utcnow()
    audit.record(services, "import.profile", "success", actor=actor, target=name)
    return profile


def workdir(services) -> Path:
    path = services.config.data_path / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(services, storage) -> Path:
    """An uploaded file to a temporary path of our own naming (never the sender's name)."""
    path = workdir(services) / f"upload-{secrets.token_hex(8)}"
    try:
        storage.save(path)
    finally:
        storage.close()   # werkzeug spools big uploads to a temporary file; let it go now
    return path


def run(services, scope: Scope, path: Path, profile: Profile, *, file_name: str, profile_name: str | None,
        dry_run: bool) -> ImportReport:
    """Run an import and audit it; ImportError_/ProfileError propagate after being audited."""
    try:
        report = imports.run_import(services.warehouse, services.calendar, path, profile, scope, dry_run=dry_run,
                                    file_name=file_name, profile_name=profile_name,
                                    originals=services.config.data_path / "imports",
                                    workdir=workdir(services))
    except (ImportError_, ProfileError) as error:
        audit.record(services, "import", "failure", actor=scope.username, target=file_name[:255],
                     details={"reason": str(error)[:500], "dry_run": dry_run})
        raise
    outcome = "success" if report.committed or (dry_run and not report.error_count) else "failure"
    audit.record(services, "import.dry_run" if dry_run else "import", outcome, actor=scope.username,
                 target=file_name[:255], details={"batch_id": report.batch_id, "accepted": report.accepted,
                                                   "rejected": report.rejected, "skipped": report.skipped,
                                                   "replaced": report.replaced, "profile": profile_name})
    return report


def revert(services, scope: Scope, batch_id: int) -> dict[str, int]:
    """Managers and admins revert any import; analysts only their own."""
    batch = imports.get_batch(services.warehouse, batch_id)
    if batch is None:
        raise ImportError_(Reason("import.no_import", batch=batch_id))
    if batch["kind"] not in imports.REVERTIBLE or batch["status"] == "reverted":
        return imports.revert_batch(services.warehouse, batch_id, scope.username)   # raises the reason
    if not scope.all_departments and batch["created_by"] != scope.username:
        audit.record(services, "import.revert", "denied", actor=scope.username, target=str(batch_id))
        raise PermissionError(web_reason("import.revert_refused"))
    result = imports.revert_batch(services.warehouse, batch_id, scope.username)
    audit.record(services, "import.revert", "success", actor=scope.username, target=str(batch_id), details=result)
    return result
