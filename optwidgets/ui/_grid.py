"""DataGrid: a sortable, searchable, selectable table widget (itables' ``ITable``).

:class:`DataGrid` is ``itables.widget.ITable`` (DataTables in an anywidget) set up the
optwidgets way: a fixed height with its body scrolling inside, never wider than its
box (wide tables scroll sideways inside themselves), one line per row, rows selected
by clicking (``selected_rows``), search box and row count on top, no paging.

itables 2.9's front-end forgets its selection handlers when the table's data is
replaced, so selections made after the first refresh never reached Python; the front-end
code is patched here (:func:`patched_esm`: the handlers are attached to every new table,
and the search text is kept across refreshes). If a future itables changes that code
the patch is skipped and :attr:`DataGrid.patched` says so (a test checks it).

Example
-------
>>> import pandas as pd
>>> grid = DataGrid(pd.DataFrame({"run": ["a", "b"], "acc": [0.9, 0.8]}))
>>> grid.patched, grid.selected_rows
(True, [])
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import traitlets
from itables.widget import ITable

__all__ = ["DataGrid", "patched_esm"]

_HANDLERS = re.compile(
    r"(\w+)\.dt\.on\(\"select\",function\(\w+,\w+,\w+,\w+\)\{(\w+)\(\)\}\),"
    r"\1\.dt\.on\(\"deselect\",function\(\w+,\w+,\w+,\w+\)\{\2\(\)\}\)"
)
_REBUILD = re.compile(
    r"function (\w+)\(\)\{(\w+)&&\2\.destroy\(\);let (\w+)=(\w+)\.get\(\"_dt_args\"\);"
    r"\2=new (\w+)\((\w+),\3\),(\w+)\(\)\}"
)


@lru_cache(maxsize=1)
def patched_esm() -> tuple[str, bool]:
    """itables' widget code with the selection fix; ``(code, patched)``."""
    source = Path(ITable._esm.path if hasattr(ITable._esm, "path") else "")
    try:
        code = str(ITable._esm) if not source.is_file() else source.read_text()
    except OSError:
        return str(ITable._esm), False
    handlers = _HANDLERS.search(code)
    rebuild = _REBUILD.search(code)
    if handlers is None or rebuild is None:
        return code, False
    table, notify = handlers.group(1), handlers.group(2)
    f, o, y, model, cls, node, sync = rebuild.groups()
    new_rebuild = (
        f'function {f}(){{let __q={o}?{o}.dt.search():"";{o}&&{o}.destroy();'
        f'let {y}={model}.get("_dt_args");{o}=new {cls}({node},{y}),{sync}();'
        f"__q&&{o}.dt.search(__q).draw();"
        f'{o}.dt.on("select",function(){{{notify}()}});'
        f'{o}.dt.on("deselect",function(){{{notify}()}})}}'
    )
    if table != o:
        return code, False
    code = code[: rebuild.start()] + new_rebuild + code[rebuild.end() :]
    code = _HANDLERS.sub("void 0", code, count=1)
    return code, True


class DataGrid(ITable):
    """An ITable with the optwidgets defaults (see module doc); ``height`` is the CSS
    height of the scrolling body. Replace the data with :meth:`set_frame`."""

    _esm = traitlets.Unicode(patched_esm()[0]).tag(sync=True)

    def __init__(self, frame: pd.DataFrame | None = None, *, height: str = "240px",
                 **options: Any) -> None:  # fmt: skip
        self.grid_options: dict[str, Any] = {
            "select": {"style": "multi", "info": False},
            "scrollY": height,
            "scrollX": True,
            "scrollCollapse": False,
            "paging": False,
            "showIndex": False,
            "allow_html": True,
            "maxBytes": 0,
            "classes": "display compact nowrap hover",
            "style": "table-layout:auto;width:100%;margin:0",
            "layout": {"topStart": "info", "topEnd": "search", "bottomStart": None,
                       "bottomEnd": None},
            "language": {"info": "_TOTAL_ runs", "infoEmpty": "no runs yet",
                         "infoFiltered": "(of _MAX_)", "search": "",
                         "searchPlaceholder": "search runs", "emptyTable": "No runs yet"},
            **options,
        }  # fmt: skip
        frame = frame if frame is not None else pd.DataFrame()
        super().__init__(frame, **self.grid_options)
        self.patched = patched_esm()[1]
        self.layout.width = "100%"
        self.layout.max_width = "100%"
        self.layout.min_width = "0"
        self.add_class("ow-grid")

    def set_frame(self, frame: pd.DataFrame, selected: list[int] | None = None) -> None:
        """Show ``frame`` (same options); ``selected`` row positions stay selected."""
        rows = [i for i in (selected or []) if 0 <= i < len(frame)]
        self.update(frame, selected_rows=rows, **self.grid_options)
