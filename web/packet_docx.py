"""The briefing packet as a Word file (python-docx), from the same `Packet` and the same
chart images as the PDF: cover, agenda table, a section per item, open action items.
The small builders here (document, tables, page numbers) serve the commitments memo too."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Sequence

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from i18n import translate
from web.packet import Packet, chart_note

INK, NAVY, MUTED, RED = RGBColor(0x1F, 0x29, 0x33), RGBColor(0x10, 0x2A, 0x43), RGBColor(0x52, 0x60, 0x6D), \
    RGBColor(0xB4, 0x23, 0x18)
FONT = "Arial"   # Word's everywhere; LibreOffice shows it as the metric-equal Liberation Sans
CHART_WIDTH, TEXT_WIDTH = Inches(6.4), Inches(6.9)


# -- builders shared with the memo ------------------------------------------------------------------------
def new_document(title: str, language: str, header: str, footer: str) -> Document:
    """A Letter document with the house fonts, `header` at the top of every page and
    `footer` with 'Page N of M' at the bottom."""
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = "CityStat"
    doc.core_properties.language = language
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size, normal.font.color.rgb = FONT, Pt(10), INK
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 12), ("Heading 3", 10)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.color.rgb, style.font.bold = FONT, Pt(size), NAVY, True
    for style in (doc.styles[n] for n in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3")):
        fonts = style.element.rPr.rFonts
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)   # a theme font would win over ours in Word
    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.left_margin = section.right_margin = Inches(0.8)
    section.top_margin = section.bottom_margin = Inches(0.8)
    section.different_first_page_header_footer = True
    for name in ("Header", "Footer"):   # one tab, to the right edge of the text
        stops = doc.styles[name].paragraph_format.tab_stops
        stops.clear_all()
        stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _small(section.header.paragraphs[0], header)
    paragraph = section.footer.paragraphs[0]
    _small(paragraph, footer + "\t")
    _page_of(paragraph, language)
    return doc


def _small(paragraph, text: str, *, color: RGBColor = MUTED, bold: bool = False):
    run = paragraph.add_run(text)
    run.font.size, run.font.color.rgb, run.bold = Pt(8), color, bold
    return run


def _field(paragraph, code: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _page_of(paragraph, language: str) -> None:
    """'Page N of M' with live PAGE and NUMPAGES fields, in the reader's word order."""
    text = translate("packet.page_of", language, page="\x00P", pages="\x00N")
    for piece in text.replace("\x00P", "\x00P\x00").replace("\x00N", "\x00N\x00").split("\x00"):
        if piece == "P":
            _field(paragraph, "PAGE")
        elif piece == "N":
            _field(paragraph, "NUMPAGES")
        elif piece:
            _small(paragraph, piece)


def kicker(doc, text: str, *, page_break: bool = False):
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.page_break_before = page_break
    paragraph.paragraph_format.space_after = Pt(2)
    run = _small(paragraph, text.upper(), color=MUTED, bold=True)
    run.font.size = Pt(8.5)
    return paragraph


def table(doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float] | None = None,
          *, right: Sequence[int] = ()) -> Any:
    """A data table with a header row; `right` lists the columns of numbers (right-aligned)."""
    grid = doc.add_table(rows=1, cols=len(headers))
    grid.style = "Light List Accent 1"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for i, (cell, text) in enumerate(zip(grid.rows[0].cells, headers)):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        if i in right:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for values in rows:
        cells = grid.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            cell.text = str(text)
            if i in right:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths:
        for row in grid.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Inches(width)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)
    return grid


def action_rows(actions: list[dict[str, Any]], language: str, *, status: bool = False,
                origin: bool = False) -> tuple[list[str], list[list[str]], list[float]]:
    """Headers, rows and widths of an action-item table (web.packet_text.action_row dicts)."""
    def t(key, **params):
        return translate(key, language, **params)
    headers = [t("action.description"), t("action.owner"), t("packet.col_due")]
    widths = [3.0, 1.3, 1.1]
    if status:
        headers.append(t("packet.col_status"))
        widths.append(0.8)
    if origin:
        headers.append(t("packet.col_from"))
        widths.append(1.5)
    rows = []
    for a in actions:
        what = a["description"] + (f"\n{t('packet.kpis', names=a['kpis'])}" if a["kpis"] else "")
        due = a["due"] + (f"\n{t('packet.overdue')}" if a["overdue"] else "")
        row = [what, a["owner"], due] + ([a["status"]] if status else []) + ([a["origin"] or "–"] if origin else [])
        rows.append(row)
    return headers, rows, widths


# -- the packet -----------------------------------------------------------------------------------------------
def _cover(doc, packet: Packet, t) -> None:
    brand = doc.add_paragraph()
    run = brand.add_run("CityStat  ")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(15), NAVY
    _small(brand, packet.city).font.size = Pt(11)
    brand.paragraph_format.space_after = Pt(96)
    kicker(doc, t("packet.title"))
    doc.add_paragraph(packet.title, style="Title")
    when = doc.add_paragraph(packet.when)
    when.runs[0].font.size, when.runs[0].font.color.rgb = Pt(13), MUTED
    facts = doc.add_table(rows=0, cols=2)
    for label, value in packet.facts:
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].paragraphs[0].runs[0].bold = True
        cells[0].width, cells[1].width = Inches(1.6), Inches(5.2)
    doc.add_heading(t("packet.at_a_glance"), level=3)
    doc.add_paragraph(" · ".join(f"{c['n']} {c['label']}" for c in packet.counts) or t("packet.no_items"))


def _agenda(doc, packet: Packet, t) -> None:
    kicker(doc, packet.title, page_break=True)
    doc.add_heading(t("packet.agenda"), level=1)
    rows = [[str(r["number"]), f"{r['start']}–{r['end']}", r["name"], r["kind_label"], str(r["minutes"])]
            for r in packet.agenda]
    rows.append(["", t("packet.total"), "", "", str(packet.total_minutes)])
    table(doc, ["#", t("packet.col_time"), t("agenda.title"), t("packet.col_kind"), t("packet.col_minutes")], rows,
          [0.35, 1.1, 3.4, 1.2, 0.6], right=(0, 4))


def _section(doc, s: dict[str, Any], charts, note: str, language: str, t) -> None:
    kicker(doc, f"{t('packet.item_number', number=s['number'])} · {s['kind_label']} · {s['time_box']}",
           page_break=s.get("chart") is not None)
    doc.add_heading(s["heading"], level=1)
    if s["follow_up"]:
        f = s["follow_up"]
        line = doc.add_paragraph(f"{t('action.owner')}: {f['owner']} · {t('packet.col_due')}: {f['due']} · "
                                 f"{f['status']}")
        if f["overdue"]:
            overdue = line.add_run(f" · {t('packet.overdue')}")
            overdue.bold, overdue.font.color.rgb = True, RED
        if f["origin"]:
            _small(doc.add_paragraph(), t("packet.recorded_in", meeting=f["origin"]))
    if s["missing_kpi"]:
        doc.add_paragraph(t("packet.kpi_gone"))
    if s.get("facts"):
        facts = doc.add_table(rows=2, cols=len(s["facts"]))
        facts.style = "Table Grid"
        for i, (label, value, fact_note) in enumerate(s["facts"]):
            _small(facts.cell(0, i).paragraphs[0], label.upper())
            cell = facts.cell(1, i)
            cell.paragraphs[0].add_run(value).bold = True
            if fact_note:
                _small(cell.add_paragraph(), fact_note)
        doc.add_paragraph()
    if s.get("chart") is not None:
        png = charts[s["chart"]]
        if png:
            picture = doc.add_picture(BytesIO(png), width=CHART_WIDTH)
            # The chart's summary in words as the picture's alt text, for screen readers.
            picture._inline.docPr.set("descr", s["chart_summary"])
        else:
            doc.add_paragraph(note).runs[0].italic = True
        _small(doc.add_paragraph(), s["chart_caption"])
    if s["movement"]:
        m = s["movement"]
        doc.add_heading(t("packet.movement", kpi=m["kpi"]), level=3)
        table(doc, [t("packet.before", date=m["since_day"]), t("packet.since")],
              [[" · ".join(f"{p}: {v}" for p, v in m["before"]) or "–",
                " · ".join(f"{p}: {v}" for p, v in m["since"]) or t("packet.nothing_since")]], [3.4, 3.4])
    if s.get("narrative"):
        _narrative(doc, s["narrative"])
    if s.get("values"):
        doc.add_heading(t("packet.recent_values"), level=3)
        table(doc, [t("kpi.col_period"), t("chart.actual"), t("chart.target")],
              [[r["period"], r["value"], r["target"]] for r in s["values"]], [1.6, 1.3, 1.3], right=(1, 2))
    if "commentary" in s:
        doc.add_heading(t("commentary.heading"), level=3)
        for c in s["commentary"]:
            doc.add_paragraph(c["text"])
            _small(doc.add_paragraph(), " · ".join(part for part in (c["by"], c["period"], c["day"]) if part))
        if not s["commentary"]:
            doc.add_paragraph(t("commentary.none"))
    doc.add_heading(t("agenda.questions"), level=3)
    for question in s["questions"]:
        doc.add_paragraph(question, style="List Bullet")
    if not s["questions"]:
        doc.add_paragraph(t("packet.no_questions"))
    if s.get("facts"):
        doc.add_heading(t("packet.kpi_actions"), level=3)
        if s["actions"]:
            table(doc, *action_rows(s["actions"], language))
        else:
            doc.add_paragraph(t("packet.no_kpi_actions"))


def _narrative(doc, narrative: dict[str, Any]) -> None:
    """The narrative of the KPI's latest period: each part's label, then its text as plain
    paragraphs (lists keep their markers)."""
    doc.add_heading(narrative["heading"], level=3)
    for part in narrative["parts"]:
        doc.add_paragraph().add_run(part["label"]).bold = True
        for paragraph in part["text"].split("\n\n"):
            doc.add_paragraph(paragraph)
    _small(doc.add_paragraph(), narrative["by"])


def packet_docx(packet: Packet, charts: list[bytes | None], problem: str | None = None) -> bytes:
    """The packet as a .docx file's bytes."""
    language = packet.language

    def t(key, **params):
        return translate(key, language, **params)
    doc = new_document(f"{packet.title} · {t('packet.title')}", language, f"CityStat · {packet.city}\t"
                       f"{packet.title} · {packet.when}", t("packet.title"))
    _cover(doc, packet, t)
    _agenda(doc, packet, t)
    note = chart_note(problem, language)
    for section in packet.sections:
        _section(doc, section, charts, note, language, t)
    heading = doc.add_heading(t("packet.all_actions"), level=1)
    heading.paragraph_format.page_break_before = True
    doc.add_paragraph(t("packet.all_actions_lede", departments=packet.facts[0][1]))
    if packet.open_actions:
        table(doc, *action_rows(packet.open_actions, language, origin=True))
    else:
        doc.add_paragraph(t("packet.no_actions"))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
