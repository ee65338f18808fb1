"""Finding English left on a Spanish or Portuguese page: the texts a browser shows (and the
ones a packet or memo holds) compared with the English catalogue and a list of common
English words. Used by tests/browser/test_languages.py.

A text is English left behind when it is
- an English catalogue text whose translation differs, whole (a label, a button), or
- a literal part longer than PART_MIN characters of a templated English catalogue text
  ("Values and targets of {name}, newest first" -> "Values and targets of"), or
- a text holding one of ENGLISH_WORDS as a whole word, once the city's own records (KPI
  descriptions, owners, meeting titles: data, not interface) are cut out of it.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache
from html.parser import HTMLParser

from playwright.sync_api import Error as PlaywrightError

from i18n import catalogue

PLACEHOLDER = re.compile(r"{\w+}")
PART_MIN = 12

# English words of the interface that have no place on a Spanish or Portuguese page, as whole
# words; case matters ("Status" the label, not "status" inside someone's sentence). A word the
# language's own catalogue uses too ("Status" is Portuguese as well, "No" Spanish) is dropped
# from the list for that language automatically.
ENGLISH_WORDS = (
    # the interface's words
    "Overview", "Target", "Targets", "Status", "Sign out", "Sign in", "Download", "Save", "Cancel", "Search",
    "Select...", "Loading", "No data", "Page not found", "Actual", "Period", "Periods", "Department",
    "Departments", "Goal", "Goals", "Owner", "Trend", "Updated", "Meeting", "Meetings", "Agenda item",
    "Action items", "Imports", "Upload", "Delete", "Edit", "Close", "Back", "Next", "Previous", "Clear",
    "Submit", "Show", "Hide", "Value", "Values", "Name", "Last updated", "Due", "Done", "Open",
    "Published", "Users", "Audit log", "Filter", "Yes", "No", "Date", "Notes", "Note",
    "Description", "Methodology", "Source", "Language", "Skip to content", "on track", "off track",
    "at risk", "improving", "worsening", "Drag and drop", "Browse", "per page", "Rows", "YYYY-MM-DD",
    # what Dash's and plotly.js's own components say unless told otherwise
    "Select All", "Deselect All", "selected", "No options found", "Clear search", "Clear selection",
    "Clear Dates", "Clear date", "Close calendar", "Previous month", "Next month", "Increase value",
    "Decrease value", "Zoom in", "Zoom out", "Autoscale", "Reset axes", "Reset view", "Pan", "Box Select",
    "Lasso Select", "Toggle Spike Lines", "Show closest data on hover", "Compare data on hover",
    "Download plot", "Produced with Plotly", "Double-click",
    # a date picker or a date left in English
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
    # English sentences: small words no Spanish or Portuguese text has
    "of", "to", "and", "the", "with", "for", "from", "this", "that", "is", "are", "was", "were", "your", "you",
    "by", "an", "not", "will", "has", "have", "which", "what", "when", "The", "This", "Your", "You",
)


@lru_cache(maxsize=None)
def leftovers(language: str) -> tuple[dict[str, str], dict[str, str], tuple[tuple[str, re.Pattern], ...]]:
    """(whole English texts -> key, literal parts of templated texts -> key, (word, pattern)s):
    the English catalogue texts that `language` says differently, and the common words."""
    english, own = catalogue("en"), catalogue(language)
    own_texts = set(own.values())
    own_words = set(re.findall(r"[^\W\d_]+(?:\.\.\.)?", " ".join(own_texts)))
    whole, parts = {}, {}
    for key, text in english.items():
        if own.get(key, text) == text or text in own_texts:
            continue
        literals = [p.strip(" .,:;·()–-") for p in PLACEHOLDER.split(text)]
        # A one-word English text that is a word of the language too ("Actual" is Spanish)
        # could be anything on the page: the common-word list says whether it is the label.
        if len(literals) == 1 and not (" " not in text.strip() and text.strip() in own_words):
            whole[text] = key
        for literal in literals:
            if len(literal) > PART_MIN and " " in literal and not any(literal in t for t in own_texts):
                parts[literal] = key
    words = tuple((w, re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])")) for w in ENGLISH_WORDS
                  if not set(w.split()) <= own_words)
    return whole, parts, words


def english_in(texts: list[str], language: str, data: set[str]) -> list[str]:
    """What in `texts` is English that `language` has its own words for, each with the
    catalogue key or the word that gave it away."""
    whole, parts, words = leftovers(language)
    found = []
    for text in dict.fromkeys(t for t in texts if t):
        if text in whole:
            found.append(f"{text!r} (catalogue {whole[text]})")
            continue
        hit = next((p for p in parts if p in text), None)
        if hit:
            found.append(f"{text[:160]!r} (catalogue {parts[hit]}: {hit!r})")
            continue
        bare = without_records(text, data)
        word = next((w for w, pattern in words if pattern.search(bare)), None)
        if word:
            found.append(f"{text[:160]!r} (English word {word!r})")
    return found


def without_records(text: str, data: set[str]) -> str:
    """The text with the city's own records cut out of it."""
    if text in data:
        return ""
    for item in data:
        if len(item) > 3 and item in text:
            text = text.replace(item, " ")
    return text


def report(problems: dict[str, list[str]]) -> str:
    lines = []
    for page, found in problems.items():
        lines.append(f"{page}:")
        lines += [f"    {item}" for item in found]
    return "\n".join(lines)


# -- what the browser shows --------------------------------------------------------------------------
# Every text node, every block's whole text (a sentence split over links reads whole), the
# accessible names and hints, and what plotly draws from: trace names, hover templates, titles.
# Elements marked data-i18n-exempt are left out: records kept as written, such as the audit log's details.
COLLECT = """() => {
  const out = [document.title];
  const skipped = el => !el || el.closest('script, style, noscript, template, [data-i18n-exempt]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
    if (text && !skipped(node.parentElement)) out.push(text);
  }
  const blocks = 'p, li, td, th, h1, h2, h3, h4, h5, h6, label, button, a, dt, dd, summary, legend, ' +
                 'caption, figcaption, option, [role=option], [role=status], [role=alert], .legendtext';
  for (const el of document.body.querySelectorAll(blocks)) {
    if (!skipped(el)) out.push(el.textContent.replace(/\\s+/g, ' ').trim());
  }
  const attributes = ['aria-label', 'title', 'placeholder', 'alt', 'data-title', 'aria-description',
                      'aria-roledescription', 'aria-valuetext'];
  for (const el of document.body.querySelectorAll('*')) {
    if (skipped(el)) continue;
    for (const name of attributes) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.replace(/\\s+/g, ' ').trim());
    }
    if (el.matches('input[type=submit], input[type=button]') && el.value) out.push(el.value.trim());
  }
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    for (const trace of plot.data || []) {
      if (trace.name) out.push(String(trace.name));
      for (const template of [trace.hovertemplate].flat()) {
        if (template) out.push(...String(template).replace(/%\\{[^}]*\\}/g, ' ').split(/<br>|<extra>|<\\/extra>/)
                                  .map(s => s.replace(/<[^>]+>/g, ' ').trim()).filter(Boolean));
      }
    }
    const layout = plot.layout || {};
    for (const key of Object.keys(layout)) {
      const title = layout[key] && layout[key].title;
      const text = title && (title.text || (typeof title === 'string' ? title : null));
      if (text) out.push(String(text));
    }
  }
  return out.filter(Boolean);
}"""

# An open dropdown's options and search box, an open calendar's month, weekdays and buttons.
OPEN_TEXTS = """() => {
  const out = [];
  for (const box of document.querySelectorAll('.dash-datepicker-calendar-wrapper, [role=listbox]')) {
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) out.push(walker.currentNode.nodeValue.trim());
  }
  out.push(...[...document.querySelectorAll('[role=option]')].map(e => e.textContent.trim()));
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    out.push(el.getAttribute('aria-label') || '', el.getAttribute('placeholder') || '', el.getAttribute('title') || '');
  }
  return out.filter(Boolean);
}"""


def open_each_control(tab, limit: int = 12) -> list[str]:
    """Open each dropdown and date picker on the page in turn and read what it shows open."""
    seen: list[str] = []
    controls = tab.locator(".dash-dropdown:visible, .dash-datepicker input:visible")
    for index in range(min(controls.count(), limit)):
        try:
            controls.nth(index).click(timeout=2000)
            tab.wait_for_timeout(150)
            seen += tab.evaluate(OPEN_TEXTS)
        except PlaywrightError:   # a disabled or covered control: its closed texts were read already
            pass
        tab.keyboard.press("Escape")
    return seen


# -- packets and memos -------------------------------------------------------------------------------
class _HtmlText(HTMLParser):
    """The text of an HTML document as a reader gets it: no style or script, alt texts in."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.inside.append(tag)
        self.chunks.extend(v for k, v in attrs if k in ("alt", "title", "aria-label") and v)

    def handle_endtag(self, tag):
        if self.inside and self.inside[-1] == tag:
            self.inside.pop()

    def handle_data(self, data):
        if not self.inside:
            self.chunks.append(data)


def document_texts(name: str, body: bytes, data: set[str]) -> list[str]:
    """The lines of a packet or memo, whatever its format, without the city's records (a PDF
    wraps a long commitment over two lines, so they are cut out before the lines are)."""
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    elif name.endswith(".docx"):
        from docx import Document

        document = Document(io.BytesIO(body))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        text = "\n".join([p.text for p in document.paragraphs] + cells)
    elif name.endswith(".html"):
        reader = _HtmlText()
        reader.feed(body.decode("utf-8"))
        text = "\n".join(reader.chunks)
    else:
        text = body.decode("utf-8")
    for item in sorted(data, key=len, reverse=True):
        if len(item.split()) > 1:
            text = re.sub(r"\s+".join(map(re.escape, item.split())), " ", text)
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]
