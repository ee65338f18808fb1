"""Calling Dash callbacks through the Flask test client, as any browser (or attacker) can."""
from __future__ import annotations

import json
from typing import Any


def _output_key(outputs: list[tuple[str, str]]) -> str:
    if len(outputs) == 1:
        return f"{outputs[0][0]}.{outputs[0][1]}"
    return ".." + "...".join(f"{cid}.{prop}" for cid, prop in outputs) + ".."


def call(client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, Any]],
         state: list[tuple[str, str, Any]] = (), headers: dict | None = None, changed: str | None = None):
    """POST /_dash-update-component; returns the raw response. `changed` ("id.prop") names
    the input that fired, the first one by default.

    A `Cookie` header is moved into the client's cookie jar, which would otherwise replace it.
    """
    headers = {"Origin": "http://localhost", **(headers or {})}
    for pair in filter(None, headers.pop("Cookie", "").split(";")):
        name, _, value = pair.strip().partition("=")
        client.set_cookie(name, value)
    body = {
        "output": _output_key(outputs),
        "outputs": [{"id": cid, "property": prop} for cid, prop in outputs]
        if len(outputs) > 1 else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": cid, "property": prop, "value": value} for cid, prop, value in inputs],
        "changedPropIds": [changed] if changed else [f"{inputs[0][0]}.{inputs[0][1]}"] if inputs else [],
        "state": [{"id": cid, "property": prop, "value": value} for cid, prop, value in state],
    }
    return client.post("/_dash-update-component", data=json.dumps(body),
                       content_type="application/json", headers=headers)


def render_page(client, pathname: str, headers: dict | None = None) -> str:
    """The page at `pathname` as Dash's router renders it, serialised to text."""
    response = call(client, [("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", pathname), ("_pages_location", "search", "")],
                    headers=headers)
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True)


def texts(payload: str) -> str:
    """All strings in a Dash JSON payload, joined: what a reader would see, roughly."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(payload))
    return "\n".join(found)


def components(node):
    """Every component (a dict with props) in a decoded Dash JSON payload, outermost first."""
    if isinstance(node, dict):
        if "props" in node:
            yield node
        for value in node.values():
            yield from components(value)
    elif isinstance(node, list):
        for value in node:
            yield from components(value)
