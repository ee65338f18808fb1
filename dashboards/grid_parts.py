"""The editable grids of the catalogue (targets, data entry): dash-ag-grid with CityStat's
settings, its own words in the reader's language, and a named region around it.

AG Grid writes a few texts of its own (empty grid, pagination, cell editor, sorting
hints); `localeText` replaces each with our catalogue's words ("grid.*" keys)."""
from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import html

from i18n import translate

# AG Grid's text keys that our grids can show -> our catalogue keys.
LOCALE_KEYS = (
    "noRowsToShow", "loadingOoo", "loadingError", "ariaChecked", "ariaUnchecked", "ariaIndeterminate",
    "ariaInputEditor", "ariaSortableColumn", "ariaLabelColumnMenu", "ariaLabelTooltip", "ariaPageSizeSelectorLabel",
    "pageSizeSelectorLabel", "firstPage", "previousPage", "nextPage", "lastPage", "page", "of", "to", "more",
    "invalidNumber", "invalidDate", "ariaRowSelectAll", "ariaToggleCellValue",
)


def locale_text(language: str) -> dict[str, str]:
    """AG Grid's own words in `language`."""
    return {key: translate(f"grid.{key}", language) for key in LOCALE_KEYS}


def grid(grid_id: str, row_data: list[dict[str, Any]], column_defs: list[dict[str, Any]], language: str, *,
         label: str, options: dict[str, Any] | None = None, **props) -> html.Div:
    """An editable grid in a region named `label`: edits on one click or by typing, Enter
    moves down after an edit, cells stay in reading order for screen readers, and a cell
    being edited is saved when focus leaves it (so a Save button sees the last value)."""
    grid_options = {
        "domLayout": "autoHeight", "singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True,
        "enterNavigatesVerticallyAfterEdit": True, "ensureDomOrder": True, "suppressColumnVirtualisation": True,
        "localeText": locale_text(language), **(options or {}),
    }
    return html.Div(dag.AgGrid(id=grid_id, rowData=row_data, columnDefs=column_defs, dashGridOptions=grid_options,
                               defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
                               columnSize="responsiveSizeToFit", **props),
                    role="region", **{"aria-label": label}, className="grid-region")
