"""What plotly.js says by itself around a chart (its mode bar's tooltips, the notes it shows
while saving an image or after a zoom) in the reader's language.

plotly.js looks each of these English texts up in the dictionary of the chart's `locale`.
Rather than load plotly's own locale files, every chart's config carries that dictionary,
built from our catalogue, so the words match the rest of the page.
"""
from __future__ import annotations

from typing import Any

from i18n import translate

# plotly.js's English text -> our catalogue key (the texts as plotly.js 3 spells them).
PLOTLY_TEXTS = {
    "Autoscale": "chart_tool.autoscale",
    "Box Select": "chart_tool.box_select",
    "Compare data on hover": "chart_tool.compare_on_hover",
    "Download plot as a PNG": "chart_tool.download_png",
    "Download plot": "chart_tool.download",
    "Lasso Select": "chart_tool.lasso_select",
    "Pan": "chart_tool.pan",
    "Reset axes": "chart_tool.reset_axes",
    "Reset view": "chart_tool.reset_view",
    "Reset": "chart_tool.reset",
    "Show closest data on hover": "chart_tool.closest_on_hover",
    "Toggle show closest data on hover": "chart_tool.toggle_closest_on_hover",
    "Toggle Spike Lines": "chart_tool.spike_lines",
    "Zoom": "chart_tool.zoom",
    "Zoom in": "chart_tool.zoom_in",
    "Zoom out": "chart_tool.zoom_out",
    "Preparing image - this may take a few seconds": "chart_tool.snapshot_taking",
    "Image download succeeded": "chart_tool.snapshot_done",
    "Sorry, there was a problem downloading your image!": "chart_tool.snapshot_failed",
    "Double-click to zoom back out": "chart_tool.double_click_zoom_out",
    "Double-click on legend to isolate one trace": "chart_tool.legend_isolate",
}


def plotly_locale(language: str) -> dict[str, Any]:
    """The `locale` and `locales` entries of a plotly config for `language`; nothing for
    English, which is plotly's own."""
    if language == "en":
        return {}
    dictionary = {english: translate(key, language) for english, key in PLOTLY_TEXTS.items()}
    return {"locale": language, "locales": {language: {"dictionary": dictionary}}}
