"""Accessibility checks in the browser: axe-core (installed from the npm registry by
`make test`, see tests/browser/package.json) injected into a page by Playwright."""
from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, the level the ADA Title II rule asks of city web content.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def axe_violations(tab, *, impacts=BLOCKING) -> list[dict]:
    """axe's violations of WCAG 2.1 AA on the page as it is now, of the given impacts."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it with "
                    "`npm ci --prefix tests/browser` (the npm registry must be reachable once).")
    if not tab.evaluate("() => typeof window.axe !== 'undefined'"):
        tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""", WCAG_TAGS)
    return [v for v in result if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} - {v['help']}")
        lines += [f"    {n['target']}: {n['summary']}" for n in v["nodes"]]
    return "\n".join(lines)
