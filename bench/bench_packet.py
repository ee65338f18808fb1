"""A 20-item briefing packet as PDF against drawing its 20 charts alone.

The demo city, one stat meeting of every department whose agenda keeps 20 KPI items.
Times, in the same process (medians, the two timed in turn):
  packet      web.packet_pdf.packet_pdf, as GET .../packet.pdf does: read the meeting and
              every item's data, start one Chromium, draw the 20 charts, lay out the
              print HTML and make the PDF (WeasyPrint);
  (b) charts  the same 20 figures through the same renderer: start Chromium, draw 20 PNGs.
The target: the whole packet within 1.5x its charts alone.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date

from bench.timing import median_ms
from metrics.access import Scope

ROUNDS = 5
ITEMS = 20
DEMO_TODAY = date(2026, 11, 26)
MANAGER = Scope("bench", "manager")


def _meeting(services) -> int:
    """A meeting of every department whose agenda is its first 20 KPI items."""
    from metrics import catalog
    from web.meetings import create_meeting, save_agenda

    departments = [d["id"] for d in catalog.list_departments(services.warehouse)]
    meeting = create_meeting(services, MANAGER, {"title": "CityStat", "departments": departments,
                                                 "date": "2026-11-19", "duration_minutes": 240})
    kept = [item for item in meeting.agenda if item.kpi_id][:ITEMS]
    assert len(kept) == ITEMS, f"the demo city drafts only {len(kept)} KPI items"
    save_agenda(services, MANAGER, meeting.id, [{"id": item.id, "minutes": 12} for item in kept])
    return meeting.id


def _paired_medians(first, second) -> tuple[float, float]:
    """Medians in seconds of `first` and `second` timed in turn, so that whatever else the
    machine does weighs on both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for run, times in zip((first, second), samples):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main() -> None:
    from app import create_app
    from data.demo_city import seed_demo
    from web.meetings import get_meeting
    from web.packet import assemble, make_packet, packet_html
    from web.packet_charts import render_charts
    from web.packet_pdf import html_to_pdf, packet_pdf
    from web.services import EXTENSION

    with tempfile.TemporaryDirectory() as folder:
        server = create_app({"data_dir": folder, "seed_demo": False})
        services = server.extensions[EXTENSION]
        services.prepare(seed_demo=False)
        seed_demo(services.warehouse, services.calendar, today=DEMO_TODAY)
        meeting_id = _meeting(services)
        with server.test_request_context():
            figures = assemble(services, MANAGER, get_meeting(services, MANAGER, meeting_id), "en").figures
            sizes: dict[str, int] = {}

            def packet() -> None:
                sizes["pdf"] = len(packet_pdf(services, MANAGER, meeting_id, "en")[1])

            def charts_alone() -> None:
                assert all(render_charts(figures))

            packet()   # warm: imports, fonts, templates
            whole, alone = _paired_medians(packet, charts_alone)
            parts = {"assemble": median_ms(lambda: assemble(services, MANAGER, get_meeting(services, MANAGER,
                                                                                           meeting_id), "en"), 3)}
            made, charts, problem = make_packet(services, MANAGER, meeting_id, "en")
            assert problem is None and all(charts), f"charts were not drawn: {problem}"
            html = packet_html(made, charts, problem)
            parts["html"] = median_ms(lambda: packet_html(made, charts, problem), 3)
            parts["pdf"] = median_ms(lambda: html_to_pdf(html), 3)
        services.close()
    print(f"{ITEMS} KPI items, {len(figures)} charts, PDF {sizes['pdf'] / 1e6:.1f} MB; medians of {ROUNDS} runs")
    print(f"  packet PDF (data, charts, HTML, WeasyPrint)   {whole:6.2f} s")
    print(f"  (b) its {len(figures)} charts alone (start + draw)     {alone:6.2f} s")
    print(f"      of the packet, alone: reading the data {parts['assemble'] / 1000:.2f} s, "
          f"HTML {parts['html'] / 1000:.2f} s, WeasyPrint {parts['pdf'] / 1000:.2f} s (partly while charts draw)")
    print(f"  packet / (b): {whole / alone:.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main()
