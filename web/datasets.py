"""Raw datasets as people and programs use them (issue #7): who may load and revert, the
upload kept as the original with its sha256, the load itself in the sandbox's loader, the
computed KPIs recomputed after it, and every load, revert and refusal in the audit log.

Datasets are city-wide raw records, not one department's numbers: analysts and above
load them; a load is reverted by whoever made it, or by a manager or administrator.
Every function here raises DatasetError (what to fix, nothing written) or PermissionError
(already audited); the API and the page turn them into answers.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from metrics import datasets
from metrics.access import Scope
from metrics.datasets import DatasetError, DatasetProfile, LoadReport
from web import audit, importing
from web.reasons import web_reason

MAX_PROFILE_CHARS = 200_000


class NoSuchLoad(DatasetError):
    """The batch number names no load at all (a reverted one still exists)."""


def may_load(scope: Scope) -> bool:
    return scope.allows("analyst")


def may_revert(scope: Scope, batch: dict[str, Any]) -> bool:
    """The person who loaded the batch, or a manager or administrator; only a standing load."""
    if batch.get("status") != "loaded" or not scope.allows("analyst"):
        return False
    return scope.all_departments or batch.get("created_by") == scope.username


def parse_profile(text: Any) -> DatasetProfile:
    """The profile as sent (JSON text), checked; DatasetError says what to fix."""
    if not isinstance(text, str) or not text.strip():
        raise DatasetError([web_reason("dataset.send_profile")])
    if len(text) > MAX_PROFILE_CHARS:
        raise DatasetError([web_reason("dataset.profile_too_long", limit=f"{MAX_PROFILE_CHARS:,}")])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError([web_reason("profile.bad_json", problem=error.msg, line=error.lineno,
                                       column=error.colno)]) from None
    return DatasetProfile.parse(document)


def _keep_original(services, path: Path, batch_id: int, file_name: str) -> Path:
    """The file as received, under data/datasets/ named by batch and sha256, as imports keep theirs."""
    with open(path, "rb") as handle:
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
    folder = services.config.data_path / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{batch_id:06d}-{sha[:12]}{Path(file_name).suffix.lower()[:8]}"
    shutil.copyfile(path, stored)
    return stored


def _recompute(services, dataset: str, raw_batch: int | None) -> dict:
    """The computed KPIs reading this dataset, brought up to date with it. The load stands
    even when a definition no longer runs on the new rows: its KPI keeps its earlier values
    and the answer says which definition failed and why."""
    from metrics.computed import ComputedError, recompute   # the engine reads datasets: import it late

    try:
        return recompute(services.warehouse, services.sandbox, services.calendar, dataset=dataset,
                         raw_batch=raw_batch)
    except ComputedError as error:
        return {"kpis": {}, "observations": 0, "error": str(error), "kpi_id": error.kpi_id}


def load(services, scope: Scope, path: Path, profile: DatasetProfile, *, file_name: str) -> dict[str, Any]:
    """Load the file at `path` as the profile says, keep the original, recompute, audit.
    Returns the load report with what the recompute did under "computed"."""
    if not may_load(scope):
        audit.record(services, "dataset.load", "denied", actor=scope.username, target=profile.name)
        raise PermissionError(web_reason("dataset.load_refused"))
    try:
        with services.sandbox.loading() as con:
            report: LoadReport = datasets.load(con, path, profile, actor=scope.username,
                                               workdir=importing.workdir(services), file_name=file_name)
    except DatasetError as error:
        audit.record(services, "dataset.load", "failure", actor=scope.username, target=profile.name,
                     details={"file": file_name, "reason": str(error)[:500], "bad_cells": error.total})
        raise
    stored = _keep_original(services, path, report.batch_id, file_name)
    computed = _recompute(services, report.dataset, report.batch_id)
    audit.record(services, "dataset.load", "success", actor=scope.username, target=report.dataset,
                 details={"batch_id": report.batch_id, "mode": report.mode, "rows": report.rows,
                          "rows_before": report.rows_before, "file": file_name, "original": stored.name,
                          "recomputed": sorted(computed["kpis"]), "recompute_error": computed.get("error")})
    return {**report.as_dict(), "file_name": file_name, "computed": computed}


def find_batch(services, batch_id: int) -> dict[str, Any] | None:
    """One load by its number, reverted or not."""
    with services.sandbox.cursor() as cursor:
        return next((b for b in datasets.batches(cursor, None, limit=10**6) if b["id"] == batch_id), None)


def revert(services, scope: Scope, batch_id: int) -> dict[str, Any]:
    """Undo one load (see metrics.datasets.revert), then recompute that dataset's KPIs."""
    batch = find_batch(services, batch_id)
    if batch is None:
        raise NoSuchLoad([web_reason("dataset.no_such_load", batch=batch_id)])
    if batch["status"] == "loaded" and not may_revert(scope, batch):
        audit.record(services, "dataset.revert", "denied", actor=scope.username, target=str(batch_id))
        raise PermissionError(web_reason("dataset.revert_refused"))
    try:
        with services.sandbox.loading() as con:
            result = datasets.revert(con, batch_id, actor=scope.username)
    except DatasetError as error:
        audit.record(services, "dataset.revert", "failure", actor=scope.username, target=str(batch_id),
                     details={"reason": str(error)[:500]})
        raise
    result["computed"] = _recompute(services, result["dataset"], None)
    audit.record(services, "dataset.revert", "success", actor=scope.username, target=str(batch_id),
                 details={"dataset": result["dataset"], "rows_removed": result["rows_removed"],
                          "recomputed": sorted(result["computed"]["kpis"]),
                          "recompute_error": result["computed"].get("error")})
    return result


# -- what is there ---------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-ready: days and times as ISO text."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def list_datasets(services) -> list[dict[str, Any]]:
    """Every dataset with its columns, rows, date span and its latest standing load."""
    with services.sandbox.cursor() as cursor:
        found = datasets.describe(cursor)
        history = datasets.batches(cursor, None, limit=10**6)
    latest: dict[str, dict] = {}
    for batch in history:                      # newest first: keep the first standing one
        if batch["status"] == "loaded":
            latest.setdefault(batch["dataset"], batch)
    answer = []
    for item in found:
        last = latest.get(item["name"])
        answer.append({**{k: _plain(v) for k, v in item.items()},
                       "last_load": batch_dict(last) if last else None})
    return answer


def batch_dict(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in batch.items()}


def history(services, name: str) -> list[dict[str, Any]]:
    """The loads of one dataset, newest first (reverted ones too)."""
    with services.sandbox.cursor() as cursor:
        return [batch_dict(b) for b in datasets.batches(cursor, name)]


def preview(services, name: str, *, limit: int = 20) -> dict[str, Any]:
    """The first rows of a dataset, as DuckDB gives them; DatasetError when there is none."""
    with services.sandbox.cursor() as cursor:
        return datasets.preview(cursor, name, limit=limit)
