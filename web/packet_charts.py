"""Static chart images for briefing packets: one headless Chromium (through kaleido) per
packet, never one per chart, with plotly's own plotly.min.js so nothing is fetched.

The browser starts in a thread of its own as soon as a packet is begun, so that its ~2 s
start overlaps the reading of the data; the figures are then drawn one after another in
its one tab, each handed over (as a Future) the moment it is done, so that the PDF can
be laid out while later charts are still being drawn. When Chromium is missing or fails,
the packet is still made: each chart comes back as None and `problem` says why, for the
packet to print in its place.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from io import BytesIO
from pathlib import Path
from typing import Sequence

import plotly
import plotly.graph_objects as go
from PIL import Image

log = logging.getLogger(__name__)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Pixels of the image as drawn (CSS px), twice as many in the file for a crisp print: about
# the width of a Letter page's text block at 96 px per inch, so chart text prints near 9 pt.
WIDTH, HEIGHT, SCALE = 720, 300, 2
START_TIMEOUT, CHART_TIMEOUT = 60, 60

MISSING, FAILED = "missing", "failed"   # why charts are absent: no Chromium, or it broke


class ChartRenderer:
    """`with ChartRenderer() as charts: pngs = charts.render(figures)`. Entering starts the
    browser in the background and returns at once; drawing waits for it."""

    def __init__(self, *, width: int = WIDTH, height: int = HEIGHT, scale: int = SCALE):
        self.opts = {"format": "png", "width": width, "height": height, "scale": scale}
        self.problem: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._browser = None
        self._opened: Future | None = None
        self._drawing: Future | None = None

    # -- lifecycle: the browser lives on one event loop in one thread, opened and closed there
    def __enter__(self) -> "ChartRenderer":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="packet-charts", daemon=True)
        self._thread.start()
        self._opened = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        return self

    async def _open(self) -> None:
        import kaleido   # imported here: it starts nothing, but pulls in a browser driver

        browser = kaleido.Kaleido(n=1, plotlyjs=str(PLOTLY_JS), mathjax=False)
        await browser.open()
        self._browser = browser

    def __exit__(self, *exc_info) -> None:
        try:
            self._wait_open()
            if self._drawing is not None:
                self._drawing.result(START_TIMEOUT)
            if self._browser is not None:
                asyncio.run_coroutine_threadsafe(self._browser.close(), self._loop).result(START_TIMEOUT)
            asyncio.run_coroutine_threadsafe(self._loop.shutdown_default_executor(), self._loop).result(START_TIMEOUT)
        except Exception:   # closing a broken browser must not lose the packet already made
            log.exception("packet charts: closing Chromium failed")
        finally:
            self._browser = None
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT)
            self._loop.close()

    def _wait_open(self) -> bool:
        """True when the browser is ready; otherwise records the problem (once) and logs it."""
        if self._browser is not None:
            return True
        if self.problem is not None:
            return False
        try:
            self._opened.result(START_TIMEOUT)
        except Exception as error:   # no Chromium, or one that will not start: the packet goes on
            from choreographer.errors import ChromeNotFoundError

            self.problem = MISSING if isinstance(error, ChromeNotFoundError) else FAILED
            log.warning("packet charts: Chromium is %s (%s); the packet is made without charts",
                        "missing" if self.problem == MISSING else "not starting", error)
            return False
        return self._browser is not None

    # -- drawing
    def begin(self, figures: Sequence[go.Figure]) -> list[Future]:
        """Start drawing `figures` (after the browser is up); one Future per figure, in
        order, resolving to its PNG bytes or to None when it could not be drawn."""
        drawn: list[Future] = [Future() for _ in figures]
        if not figures or not self._wait_open():
            for future in drawn:
                future.set_result(None)
            return drawn
        self._drawing = asyncio.run_coroutine_threadsafe(self._draw(list(figures), drawn), self._loop)
        return drawn

    def render(self, figures: Sequence[go.Figure]) -> list[bytes | None]:
        """PNG bytes per figure, in order; None for a chart that could not be drawn."""
        return [future.result() for future in self.begin(figures)]

    async def _draw(self, figures: list[go.Figure], drawn: list[Future]) -> None:
        loop = asyncio.get_running_loop()
        flattening = []
        for figure, future in zip(figures, drawn):
            try:
                png = await asyncio.wait_for(self._browser.calc_fig(figure, opts=self.opts), CHART_TIMEOUT)
            except Exception as error:   # one broken chart leaves a note, not a missing packet
                log.warning("packet charts: a chart could not be drawn: %s", error)
                self.problem = self.problem or FAILED
                future.set_result(None)
                continue
            # Flattened in a worker thread while the browser draws the next chart.
            flattening.append(loop.run_in_executor(None, self._settle, future, png))
        await asyncio.gather(*flattening)

    def _settle(self, future: Future, png: bytes) -> None:
        try:
            future.set_result(opaque(png))
        except Exception as error:   # an image Pillow cannot read is one more chart not drawn
            log.warning("packet charts: a chart image could not be read: %s", error)
            self.problem = self.problem or FAILED
            future.set_result(None)


def opaque(png: bytes) -> bytes:
    """The PNG without its alpha channel. Charts are drawn on white, so nothing is lost,
    and PDF writers (WeasyPrint) then embed one image instead of splitting out a mask."""
    with Image.open(BytesIO(png)) as image:
        if image.mode != "RGBA":
            return png
        out = BytesIO()
        image.convert("RGB").save(out, format="PNG")
        return out.getvalue()


def render_charts(figures: Sequence[go.Figure], **size) -> list[bytes | None]:
    """Start one browser, draw `figures` as PNGs, close it. None for each chart not drawn."""
    with ChartRenderer(**size) as renderer:
        return renderer.render(figures)
