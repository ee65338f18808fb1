"""No interface text written in the code: every word a person reads on a page comes from
the catalogues (i18n/), so that Spanish and Portuguese are complete by construction.

Static checks, fast, without a browser (tests/browser/test_languages.py reads the rendered
pages):
- dashboards/*.py: string literals given to html.*, dcc.* and plotly's go.* components as
  children, or as a prop people read (label, placeholder, title, alt, aria-label, a trace's
  name or hover template, ...), hold no word, once i18n keys, ids, class names, file
  names, paths and {placeholders} are set aside;
- web/templates/*.html: the text between Jinja's tags holds no word either.
A literal that must stay as it is goes in ALLOWED, with the reason.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "dashboards").glob("*.py"))
TEMPLATES = sorted((ROOT / "web" / "templates").glob("*.html"))

# Props and arguments whose text people read (or hear, from a screen reader).
READ_PROPS = {"children", "label", "placeholder", "title", "alt", "aria-label", "aria-description",
              "aria-roledescription", "aria-valuetext", "message", "summary", "start_date_placeholder_text",
              "end_date_placeholder_text", "name", "hovertemplate", "text", "legendgrouptitle"}
COMPONENT_MODULES = {"html", "dcc", "go"}

WORD = re.compile(r"[A-Za-z]{2,}")
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_{}]+)+$")              # overview.title, status.{s}
IDENTIFIER = re.compile(r"^[a-z0-9_]+([-.][a-z0-9_]+)*$")     # csrf_token, requests-311-volume, kpi-chart
TEMPLATE_PARTS = re.compile(r"%\{[^}]*\}|\{[^}]*\}|</?\w+>")   # {name}, %{x}, <br>, <extra>
PATH = re.compile(r"(?<!\w)/[\w/.{}-]*")                       # /public, /api/v1

# (file, literal): words that stay as written, each with its reason.
ALLOWED = {
    ("shell.py", "CityStat"),                                   # the product's name, the same in every language
    # Examples of a wide import profile's syntax: "FY" and "Actual|Target" are what the import
    # engine itself reads in a file's headers (metrics/profiles.py, DEFAULT_KINDS), not words to translate.
    ("import_form.py", "^FY ?(\\d{2}) (Actual|Target)$"),
    ("import_form.py", "FY20{1}"),
}
TEMPLATE_ALLOWED = {"CityStat", "· CityStat"}                   # the product's name in the page title and brand


def _literals(node):
    """The string constants that `node` makes a text of (in lists, f-strings, a ? b : c, a + b)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.JoinedStr):
        yield from (part for part in node.values if isinstance(part, ast.Constant))
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _literals(element)
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, ast.BinOp):
        yield from _literals(node.left)
        yield from _literals(node.right)


def _read_texts(tree: ast.AST):
    """Every literal a page shows: a component's first argument, its text props (also inside
    **{"aria-label": ...}), and "label"/"title"/... entries of dicts (dropdown options, figures)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                    and function.value.id in COMPONENT_MODULES and node.args):
                yield from _literals(node.args[0])
            for keyword in node.keywords:
                if keyword.arg in READ_PROPS:
                    yield from _literals(keyword.value)
        elif isinstance(node, ast.Dict):   # **{"aria-label": ...} is a dict the walk reaches too
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in READ_PROPS:
                    yield from _literals(value)


def has_words(text: str) -> bool:
    """Whether a literal says something in a language: not a key, an id or a path."""
    text = text.strip()
    if KEY.match(text) or IDENTIFIER.match(text):
        return False
    return bool(WORD.search(PATH.sub(" ", TEMPLATE_PARTS.sub(" ", text))))


def written_texts(path: Path) -> list[str]:
    """`file:line: 'literal'` for each literal with words on a page module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.name}:{node.lineno}: {node.value!r}" for node in _read_texts(tree)
            if has_words(node.value) and (path.name, node.value) not in ALLOWED]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_take_their_words_from_the_catalogue(path):
    found = written_texts(path)
    assert not found, ("text written in the code, shown in English whatever the language: move it to a key "
                       "(/work/tools/add_keys.py) and translate it, or add it to ALLOWED with the reason:\n"
                       + "\n".join(found))


def template_texts(path: Path) -> list[str]:
    """The words of a Jinja template outside its {{ }}, {% %} and {# #}, with the text of
    the attributes people read."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}|<style.*?</style>|<script.*?</script>", " ", text, flags=re.S)
    text = re.sub(r"\{%-?\s*block \w*class\s*-?%\}.*?\{%-?\s*endblock\s*-?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    found = [m.group(0) for m in re.finditer(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', text)
             if WORD.search(m.group(1))]
    between_tags = (line.strip() for line in re.sub(r"<[^>]*>", "\n", text).splitlines())
    return found + [line for line in between_tags if WORD.search(line) and line not in TEMPLATE_ALLOWED]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_take_their_words_from_the_catalogue(path):
    found = template_texts(path)
    assert not found, f"{path.name} writes text outside the catalogue (use {{{{ t('key') }}}}):\n" + "\n".join(found)


def test_the_check_finds_english_where_it_hides():
    """The walk reaches children, props, options and aria-labels; keys and ids pass."""
    page = '''
from dash import dcc, html
import plotly.graph_objects as go
html.Div([html.H1("Performance overview"), html.P(_("overview.lede"), className="lede")], id="overview-main")
dcc.Dropdown(id="x", options=[{"label": "All departments", "value": "all"}], placeholder=_("overview.all"))
html.Nav([], **{"aria-label": "Main navigation"})
go.Scatter(name="Actual", hovertemplate="%{x}: %{y}<extra></extra>")
html.A(f"{name} · CityStat", href="/public/kpis/x")
'''
    tree = ast.parse(page)
    found = [node.value for node in _read_texts(tree) if has_words(node.value)]
    assert sorted(found) == sorted(["Performance overview", "All departments", "Main navigation", "Actual",
                                    " · CityStat"])


def test_every_audited_action_has_a_name_in_the_catalogue():
    """The audit log page names each action in words (audit.action.<code>); a code written
    to the log without a key would show as `meeting.create` in every language."""
    from i18n import catalogue

    codes = set()
    for path in sorted((ROOT / "web").glob("*.py")) + PAGES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                codes.add(node.args[1].value)
    assert len(codes) > 10, "the walk no longer finds audit.record calls"
    missing = sorted(code for code in codes if f"audit.action.{code}" not in catalogue("en"))
    assert not missing, f"add audit.action.<code> keys (/work/tools/add_keys.py) for: {missing}"
