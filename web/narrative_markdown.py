"""The small, safe Markdown of narratives: paragraphs, line breaks, **bold**, *italic*,
bulleted and numbered lists, and links to http, https and mailto addresses. Nothing else.

Text is parsed once by markdown-it-py with HTML off into a tree of a few allowed tags; the
tree is then written as HTML (escaped by markupsafe), as Dash components or as plain text.
HTML a person typed stays text ("<script>" shows as "<script>"), and so does any other
Markdown (headings, images, code) and a link to any other scheme (javascript:, data:).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from dash import html
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

SCHEMES = ("http://", "https://", "mailto:")
# The only tags a narrative becomes; anything else markdown-it could make is switched off.
TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
# Links leave the city's site: no referrer, no access to this window, no credit in rankings.
LINK_REL = "nofollow noopener noreferrer"
_DASH = {"p": html.P, "strong": html.Strong, "em": html.Em, "ul": html.Ul, "ol": html.Ol, "li": html.Li,
         "a": html.A}


@dataclass
class Node:
    """A tag with its attributes and children (Nodes or text); tag None is the root."""

    tag: str | None
    attrs: dict[str, str | int] = field(default_factory=dict)
    children: list["Node | str"] = field(default_factory=list)


def _allowed_link(url: str) -> bool:
    return url.lower().startswith(SCHEMES)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "zero" has paragraphs and text only; the rules named here are all that is added. HTML
    # off: tags are text. breaks: a single new line is a line break, as people who write
    # plain text expect. Entities stay as written (the "entity" rule is off).
    parser = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    parser.enable(["list", "newline", "escape", "emphasis", "link", "autolink"])
    parser.validateLink = _allowed_link
    return parser


def tree(text: str | None) -> Node:
    """The narrative part `text` as a tree of allowed tags (an empty root for no text)."""
    root = Node(None)
    if not text:
        return root
    stack = [root]
    for token in _parser().parse(text):
        if token.type == "inline":
            _inline(token.children or [], stack[-1])
        elif token.hidden:            # a tight list's paragraphs: their text goes in the item
            continue
        elif token.nesting == 1 and token.tag in TAGS:
            start = token.attrs.get("start")
            node = Node(token.tag, {"start": int(start)} if token.tag == "ol" and start not in (None, 1) else {})
            stack[-1].children.append(node)
            stack.append(node)
        elif token.nesting == -1 and token.tag in TAGS and len(stack) > 1:
            stack.pop()
    return root


def _inline(tokens, parent: Node) -> None:
    stack = [parent]
    for token in tokens:
        if token.type == "text":
            if token.content:
                stack[-1].children.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            stack[-1].children.append(Node("br"))
        elif token.nesting == 1 and token.tag in TAGS:
            href = str(token.attrs.get("href", ""))
            node = Node(token.tag, {"href": href} if token.tag == "a" and _allowed_link(href) else {})
            stack[-1].children.append(node)
            stack.append(node)
        elif token.nesting == -1 and token.tag in TAGS and len(stack) > 1:
            stack.pop()
        elif token.content:           # nothing else is enabled; were it, its text is still text
            stack[-1].children.append(token.content)


# -- the three ways to show it -------------------------------------------------------------------------
def as_html(text: str | None) -> Markup:
    """Safe HTML for Jinja templates and packets: every text escaped, every tag allowed."""
    return Markup("").join(_html(child) for child in tree(text).children)


def _html(node: Node | str) -> Markup:
    if isinstance(node, str):
        return escape(node)
    if node.tag == "br":
        return Markup("<br>\n")
    attrs = ""
    if node.tag == "a" and node.attrs.get("href"):
        attrs = Markup(' href="{}" rel="{}"').format(node.attrs["href"], LINK_REL)
    elif node.tag == "ol" and node.attrs.get("start"):
        attrs = Markup(' start="{}"').format(int(node.attrs["start"]))
    inner = Markup("").join(_html(child) for child in node.children)
    newline = "\n" if node.tag in ("p", "ul", "ol", "li") else ""
    return Markup("<{tag}{attrs}>{inner}</{tag}>{newline}").format(tag=Markup(node.tag), attrs=attrs, inner=inner,
                                                                   newline=Markup(newline))


def as_dash(text: str | None) -> list:
    """Dash components (html.P, html.Ul, ...); no HTML string is ever handed to the browser."""
    return [_dash(child) for child in tree(text).children]


def _dash(node: Node | str):
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return html.Br()
    children = [_dash(child) for child in node.children]
    if node.tag == "a":
        if not node.attrs.get("href"):
            return html.Span(children)
        return html.A(children, href=node.attrs["href"], rel=LINK_REL)
    if node.tag == "ol" and node.attrs.get("start"):
        return html.Ol(children, start=int(node.attrs["start"]))
    return _DASH[node.tag](children)


def as_plain(text: str | None) -> str:
    """Plain text for DOCX, PDF text and alt texts: paragraphs apart, list items marked,
    a link's address after its words."""
    return "\n\n".join(part for part in (_plain_block(child, "") for child in tree(text).children) if part).strip()


def _plain_block(node: Node | str, indent: str) -> str:
    """A paragraph as its text; a list as a line per item, nested lists indented."""
    if isinstance(node, str) or node.tag not in ("ul", "ol"):
        return _plain_inline(node)
    lines = []
    number = int(node.attrs.get("start", 1))
    for item in node.children:
        marker = f"{number}. " if node.tag == "ol" else "• "
        number += 1
        inner = item.children if isinstance(item, Node) else [item]
        blocks = [_plain_block(child, indent + "   ") if isinstance(child, Node) and child.tag in ("ul", "ol")
                  else _plain_inline(child) for child in inner]
        first, *rest = [b for b in _joined(inner, blocks) if b] or [""]
        lines.append(indent + marker + first)
        lines += rest
    return "\n".join(lines)


def _joined(inner, blocks) -> list[str]:
    """An item's inline text as one line; its nested lists as lines of their own."""
    out, line = [], ""
    for child, text in zip(inner, blocks):
        if isinstance(child, Node) and child.tag in ("ul", "ol"):
            out += [line, text]
            line = ""
        else:
            line += (" " if line and isinstance(child, Node) and child.tag == "p" else "") + text
    return [*out, line]


def _plain_inline(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    inner = "".join(_plain_inline(child) for child in node.children)
    href = str(node.attrs.get("href", "")) if node.tag == "a" else ""
    if href:
        shown = href.removeprefix("mailto:")
        return inner if inner == shown or inner == href else f"{inner} ({shown})"
    return inner
