"""Versions of the catalogue's definitions (issue #10): each change of a goal or a KPI is
a numbered version saying who changed which fields, when, from what to what.

Writers call `record` inside the transaction that makes the change, so a change and its
version are written together or not at all. Values are kept as JSON-plain values (dates
and other objects as their text)."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Mapping

from metrics.warehouse import Warehouse

ITEM_TYPES = ("goal", "kpi")
ACTIONS = ("create", "update", "archive", "restore")


def plain(value: Any) -> Any:
    """`value` as JSON keeps it: text, numbers, booleans, None and lists of them."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for each field of `after` whose value differs from `before`."""
    return {name: {"old": plain(before.get(name)), "new": plain(value)}
            for name, value in after.items() if plain(before.get(name)) != plain(value)}


def record(tx, item_type: str, item_id: str, actor: str, action: str,
           changes: Mapping[str, Mapping[str, Any]]) -> int:
    """Append the next version of `item_id` in the open transaction `tx`; returns its number."""
    if item_type not in ITEM_TYPES or action not in ACTIONS:
        raise ValueError(f"unknown version kind {item_type!r}/{action!r}")
    version = tx.execute("SELECT coalesce(max(version), 0) + 1 FROM catalogue_versions "
                         "WHERE item_type = ? AND item_id = ?", [item_type, item_id]).scalar()
    tx.execute("INSERT INTO catalogue_versions (item_type, item_id, version, changed_by, action, changes) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [item_type, item_id, version, actor, action, json.dumps(dict(changes), default=str)])
    return version


def history(warehouse: Warehouse, item_type: str, item_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """The item's versions, newest first: {"version", "changed_by", "changed_at", "action",
    "changes": {field: {"old", "new"}}}."""
    rows = warehouse.query("""
        SELECT version, changed_by, changed_at, action, changes FROM catalogue_versions
        WHERE item_type = $type AND item_id = $id ORDER BY version DESC LIMIT $limit
    """, {"type": item_type, "id": item_id, "limit": limit}).dicts()
    for row in rows:
        row["changes"] = json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"]
    return rows
