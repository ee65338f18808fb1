"""Packets and memos as PDF, by WeasyPrint from their print HTML.

WeasyPrint is imported only here and only when a PDF is asked for, so the app starts
without it; when it (or the Pango libraries under it) is missing, PdfUnavailable says so.
A packet's PDF is laid out while its charts are still being drawn: the HTML names each
chart by an address only this module resolves (`chart:N`), and WeasyPrint, reaching an
image, waits for that chart alone.
"""
from __future__ import annotations

from concurrent.futures import Future

from metrics.access import Scope
from web.meetings import get_meeting
from web.packet import Packet, assemble, packet_html
from web.packet_charts import ChartRenderer

CHART = "chart:"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the Pango libraries it needs are not installed on this server."""


def _weasyprint():
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as error:   # OSError: the Pango libraries are missing
        raise PdfUnavailable(str(error)) from error
    return HTML, URLFetcher, URLFetcherResponse


def html_to_pdf(html: str, drawn: list[Future] | None = None) -> bytes:
    """The print HTML as PDF. It is self-contained: WeasyPrint reads its data: images and
    the `drawn` charts, never a file or the network, whatever text a meeting holds."""
    HTML, URLFetcher, URLFetcherResponse = _weasyprint()

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if drawn is not None and url.startswith(CHART):
                png = drawn[int(url.removeprefix(CHART))].result()
                if png is None:
                    raise ValueError(f"{url} was not drawn")
                return URLFetcherResponse(url, png, {"Content-Type": "image/png"})
            return super().fetch(url, headers)

    # A tagged PDF: headings, tables and each chart's alt text (its summary in words) reach
    # screen readers, which an untagged PDF leaves out.
    return HTML(string=html, url_fetcher=Fetcher(allowed_protocols={"data"})).write_pdf(pdf_tags=True)


def packet_pdf(services, scope: Scope, meeting_id, language: str) -> tuple[Packet, bytes]:
    """The packet of meeting `meeting_id` as PDF. MeetingError (404) when `scope` may not
    read it, PdfUnavailable (before any browser starts) when WeasyPrint cannot run."""
    meeting = get_meeting(services, scope, meeting_id)
    _weasyprint()
    with ChartRenderer() as renderer:
        packet = assemble(services, scope, meeting, language)
        drawn = renderer.begin(packet.figures)
        if renderer.problem is None:
            pdf = html_to_pdf(packet_html(packet, [], sources=[f"{CHART}{i}" for i in range(len(drawn))]), drawn)
        if renderer.problem is not None:   # a chart was not drawn: again, with a note in its place
            pdf = html_to_pdf(packet_html(packet, [future.result() for future in drawn], renderer.problem))
    return packet, pdf
