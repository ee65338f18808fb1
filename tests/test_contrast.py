"""Contrast by WCAG 2.1's formula, checked on the colours themselves: every line and marker
the charts draw stands 3:1 against the chart (1.4.11), the text colours of the two style
sheets 4.5:1 against what they are written on (1.4.3), their control borders 3:1, and no
status is told by colour alone (1.4.1): each pill carries an icon character and a word.
The rendered pages are checked by axe in tests/browser/test_accessibility.py, which also
measures every control's border as drawn."""
from __future__ import annotations

import re
from pathlib import Path

import plotly.colors
import pytest

from dashboards import figures
from dashboards.components import STATUS_ICONS, status_badge

ROOT = Path(__file__).resolve().parents[1]
INTERNAL_CSS = ROOT / "assets" / "citystat.css"
PUBLIC_CSS = ROOT / "web" / "static" / "public" / "public.css"
STATUSES = ("on_track", "at_risk", "off_track", "no_target", "no_direction", "no_data")
TEXT, GRAPHIC = 4.5, 3.0


# -- the formula -------------------------------------------------------------------------------------
def rgb(colour: str, over: tuple[float, float, float] = (255, 255, 255)) -> tuple[float, float, float]:
    """A CSS colour (#rgb, #rrggbb, rgb(), rgba(), plotly's names for black and white) as
    0-255 channels; a translucent one as it shows over `over`."""
    colour = colour.strip().lower()
    if colour in ("white", "black"):
        return (255, 255, 255) if colour == "white" else (0, 0, 0)
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    parts = [float(p) for p in re.fullmatch(r"rgba?\(([^)]*)\)", colour).group(1).split(",")]
    alpha = parts[3] if len(parts) == 4 else 1.0
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(parts[:3], over))


def luminance(colour: str, over=(255, 255, 255)) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb(colour, over)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21; translucency over `other`."""
    background = rgb(other)
    lighter, darker = sorted((luminance(one, background), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_formula_agrees_with_wcag():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)   # the classic just-passing grey
    assert contrast("rgba(0, 0, 0, 0.5)", "#ffffff") == pytest.approx(contrast("#808080", "#ffffff"), abs=0.05)


# -- charts: every line and marker 3:1 against the chart --------------------------------------------
CHART_BACKGROUND = "#ffffff"   # plotly_white's paper and plot, and the map's
CHART_INK = {
    "actual (line, dots, sparklines, district small multiples)": figures.ACTUAL,
    "target (dashed line, small-multiple targets)": figures.TARGET,
    "target range edges": figures.BAND_EDGE,
    "tolerance zone hatching": figures.TOLERANCE,
    "prior year (dotted line)": figures.PRIOR,
    "forecast (dash-dot line, open circles)": figures.FORECAST,
    "commentary markers and callout borders": figures.NOTE,
}


@pytest.mark.parametrize("name", CHART_INK)
def test_chart_lines_and_markers_stand_out_from_the_chart(name):
    colour = CHART_INK[name]
    assert contrast(colour, CHART_BACKGROUND) >= GRAPHIC, \
        f"{name}: {colour} is {contrast(colour, CHART_BACKGROUND):.2f}:1 on white; darken it in dashboards/figures.py"


def test_the_district_map_scale_stands_out_from_the_page_at_both_ends():
    scale = plotly.colors.get_colorscale(figures.DISTRICT_SCALE) if isinstance(figures.DISTRICT_SCALE, str) \
        else figures.DISTRICT_SCALE
    for position in (0.0, 0.25, 0.5, 0.75, 1.0):
        colour = plotly.colors.sample_colorscale(scale, position, colortype="rgb")[0]
        assert contrast(colour, CHART_BACKGROUND) >= GRAPHIC, f"map colour at {position}: {colour}"


def test_the_district_labels_are_readable_on_their_own_district():
    """Each district's number and value sits on its own fill, in white or black: whichever
    reads, at every value of the scale."""
    for step in range(21):
        colour = figures.district_fill(step / 20)
        ink = figures.district_label_ink(step / 20)
        assert contrast(ink, colour) >= TEXT, (step / 20, colour, ink)


# -- style sheets: text colours 4.5:1 ---------------------------------------------------------------
def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, those inside @media included."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for item in body.split(";"):
            if ":" in item:
                name, value = item.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules.append((" ".join(selector.split()), declarations))
    return rules


def _tokens(rules) -> dict[str, str]:
    return {name: value for selector, body in rules if selector == ":root"
            for name, value in body.items() if name.startswith("--")}


def _colour(value: str | None, tokens: dict[str, str]) -> str | None:
    """The colour a declaration sets (var() resolved; the colour part of a `background`
    shorthand), or None when it sets none we can read (inherit, transparent, none)."""
    if not value:
        return None
    value = re.sub(r"var\((--[\w-]+)\)", lambda m: tokens[m.group(1)], value)
    found = re.search(r"#[0-9a-fA-F]{3,6}\b|rgba?\([^)]*\)|\bwhite\b|\bblack\b", value)
    return found.group(0) if found else None


SHEETS = {"internal": INTERNAL_CSS, "public": PUBLIC_CSS}
# Text that sits on the header's brand blue rather than the page.
ON_BRAND = ("site-header", "public-header", "brand", "lang-link", "nav-link", "user-menu", "link-button")


def _pairs(sheet: str) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for each text colour the sheet sets: on its own
    background where the rule gives one, else on every surface a page has."""
    rules = _rules(SHEETS[sheet].read_text())
    tokens = _tokens(rules)
    surfaces = {tokens["--paper"], tokens["--card"]}
    surfaces |= {_colour(body.get("background"), tokens) for selector, body in rules
                 if selector in (".public-footer", ".kpi-table thead th")} - {None}
    pairs = []
    for selector, body in rules:
        ink = _colour(body.get("color"), tokens)
        if ink is None or selector == ":root":
            continue
        own = _colour(body.get("background") or body.get("background-color"), tokens)
        on_brand = any(word in selector for word in ON_BRAND)
        if own and not own.startswith("rgba"):
            grounds = [own]
        elif on_brand:
            grounds = [tokens["--brand"]]
        else:
            grounds = sorted(surfaces)
        for ground in grounds:
            if own and own.startswith("rgba"):   # a tint over the header or the page
                base = rgb(tokens["--brand"] if on_brand else tokens["--paper"])
                ground = "#%02x%02x%02x" % tuple(round(c) for c in rgb(own, base))
            pairs.append((selector, ink, ground))
    return pairs


@pytest.mark.parametrize("sheet", SHEETS)
def test_text_colours_read_on_their_backgrounds(sheet):
    pairs = _pairs(sheet)
    assert len(pairs) > 40
    failing = [f"{selector}: {ink} on {ground} is {contrast(ink, ground):.2f}:1"
               for selector, ink, ground in pairs if contrast(ink, ground) < TEXT]
    assert not failing, f"{SHEETS[sheet].name}: text below 4.5:1:\n" + "\n".join(failing)


@pytest.mark.parametrize("sheet", SHEETS)
def test_tokens_for_text_read_on_every_surface(sheet):
    tokens = _tokens(_rules(SHEETS[sheet].read_text()))
    for ink in ("--ink", "--ink-soft", "--accent", "--priority", "--focus"):
        for ground in ("--paper", "--card"):
            assert contrast(tokens[ink], tokens[ground]) >= TEXT, (ink, ground)
    assert contrast(tokens["--brand-ink"], tokens["--brand"]) >= TEXT
    for ground in ("--paper", "--card"):   # input, select and list borders (1.4.11)
        assert contrast(tokens["--control-edge"], tokens[ground]) >= GRAPHIC, ground


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_status_has_a_badge_colour_pair_that_reads(sheet):
    rules = _rules(SHEETS[sheet].read_text())
    tokens = _tokens(rules)
    for status in STATUSES:
        body = next(body for selector, body in rules
                    if re.search(rf"\.status-{status}\b", selector) and "color" in body)
        ink, ground = _colour(body["color"], tokens), _colour(body["background"], tokens)
        assert contrast(ink, ground) >= TEXT, (status, ink, ground)


# -- status is never colour alone -------------------------------------------------------------------
def _words(component) -> list[str]:
    children = component.children if isinstance(component.children, list) else [component.children]
    return [child for child in children if isinstance(child, str)]


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_internal_status_badges_carry_an_icon_and_a_word(language):
    for status in STATUSES:
        badge = status_badge(status, language)
        icon = badge.children[0]
        assert icon.children == STATUS_ICONS[status] and icon.children.strip()
        assert icon.className == "status-icon" and getattr(icon, "aria-hidden") == "true"
        assert any(re.search(r"\w{2,}", word) for word in _words(badge)), (status, badge)


def test_public_status_badges_carry_an_icon_and_a_word():
    """The public site's status pill (public_macros.html) and its roll-up counts, as rendered."""
    from jinja2 import Environment, FileSystemLoader

    from web.public_views import goal_view, status_view

    macros = Environment(loader=FileSystemLoader(ROOT / "web" / "templates"), autoescape=True) \
        .get_template("public_macros.html").make_module({"t": lambda key, **_: key})
    pill = re.compile(r'<span class="status status-\w+"><span class="status-icon" aria-hidden="true">(\S)</span>'
                      r'(\w[^<]+)</span>')
    for language in ("en", "es", "pt"):
        for status in STATUSES:
            shown = str(macros.status(status_view(status, language)))
            assert pill.fullmatch(shown), shown
        goal = goal_view({"id": "g", "title": "Safer streets", "parent_id": None, "mayoral_priority": False,
                          "status": "at_risk", "score": 0.5, "kpi_total": 3, "unscored": 1,
                          "counts": {"on_track": 1, "at_risk": 1, "off_track": 0}}, language)
        counts = str(macros.rollup(goal))
        items = re.findall(r'<li class="count-\w+"><span class="status-icon" aria-hidden="true">(\S)</span> '
                           r'(\w[^:<]+):', counts)
        assert len(items) == 4, counts
