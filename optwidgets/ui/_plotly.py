"""One plotly bundle per dashboard instead of one per figure.

plotly's ``FigureWidget`` is an anywidget whose front-end code is plotly.js plus the
widget (~5 MB): every FigureWidget sends it and the browser evaluates it again, so a
dashboard of five plots sent 25 MB and spent seconds parsing before the first Train.
Here the dashboard's page bridge carries the bundle once (:func:`host_code`: plotly's
module, which then publishes itself on ``globalThis``) and each figure is a
:func:`light_figure_class` FigureWidget whose front-end code is a few lines that wait for
that module and use it. The Python side is plotly's FigureWidget, unchanged.

If plotly's bundle ever stops looking as expected, :data:`SHARED` is False and figures
are plain FigureWidgets again (slower, same result).
"""

from __future__ import annotations

import importlib.util
import re
from copy import deepcopy
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["host_code", "LOADER", "light_figure_class", "shared", "mark_host", "host_open"]

# Whether a page bridge carrying the bundle has opened its comm in this kernel. A light
# figure whose comm opens *before* the host's waits on a module that the front-end loads
# only after it (widget models are made one after another): the page would hang. So a
# figure is light only once a host exists (the dashboards make their bridge first).
_HOST_OPEN = [False]


def mark_host() -> None:
    """Called by the page bridge once it carries the bundle."""
    _HOST_OPEN[0] = True


def host_open() -> bool:
    return _HOST_OPEN[0]

_GLOBAL = "__optwidgets_plotly"
_SLOT = (
    f"(globalThis.{_GLOBAL} ??= (() => {{ let resolve; const promise = new Promise((r) => "
    "{ resolve = r; }); return { promise, resolve }; })())"
)
# The front-end code of a light figure: plotly's widget module, once the bridge has it.
# plotly's front-end model applies only the changes it sees *after* it is initialized,
# so a figure changed in the kernel while its module was still loading showed its first
# state (a blank plot). Here each view asks the kernel for the whole figure
# (``optwidgets:hello``); the kernel sets it and says so (``optwidgets:state``); the
# figure is drawn then (after 1.5 s without an answer it is drawn anyway, and again with
# the whole figure when a busy kernel answers later).
LOADER = f"""const slot = {_SLOT};
export default async () => {{
  const mod = await slot.promise;
  const inner = mod.default();
  const isState = (msg) => msg && msg.event === "optwidgets:state";
  return {{
    initialize(ctx) {{
      return inner.initialize(ctx);
    }},
    render(ctx) {{
      const model = ctx.model;
      let cleanup = null, drawn = false;
      const draw = () => {{
        if (typeof cleanup === "function") cleanup();
        drawn = true;
        Promise.resolve(inner.render(ctx)).then((c) => {{ cleanup = c; }});
      }};
      // the kernel's whole figure: draw with it (again, if it comes after the timeout)
      const onState = (msg) => {{ if (isState(msg)) {{ clearTimeout(timer); draw(); }} }};
      model.on("msg:custom", onState);
      const timer = setTimeout(() => {{ if (!drawn) draw(); }}, 1500);
      model.send({{ event: "optwidgets:hello" }});
      return () => {{
        clearTimeout(timer);
        model.off("msg:custom", onState);
        if (typeof cleanup === "function") cleanup();
      }};
    }},
  }};
}};
"""
_EXPORT = re.compile(r"export\{([^{}]*)\}")


def _bundle_path() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "widgetbundle.js"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _host() -> tuple[str, bool]:
    path = _bundle_path()
    if path is None:
        return "", False
    code = path.read_text(encoding="utf-8")
    found = list(_EXPORT.finditer(code))
    if not found:
        return "", False
    last = found[-1]
    names = {}
    for part in last.group(1).split(","):
        bits = part.strip().split(" as ")
        if len(bits) == 2:
            names[bits[1].strip()] = bits[0].strip()
    if "default" not in names:
        return "", False
    members = ", ".join(f"{k}: {v}" for k, v in names.items())
    publish = f";{{ const __owSlot = {_SLOT}; __owSlot.resolve({{ {members} }}); }}"
    return code[: last.start()] + publish + code[last.end() :], True


def host_code() -> str:
    """plotly's widget module, publishing itself for light figures (no export of its
    own: the caller appends its ``export default``). Empty when not :func:`shared`."""
    return _host()[0]


def shared() -> bool:
    """Whether figures share the bridge's plotly bundle."""
    return _host()[1]


@lru_cache(maxsize=1)
def light_figure_class() -> Any:
    """``go.FigureWidget`` whose front-end waits for the bridge's plotly module (made on
    first use: importing plotly's widget module costs ~1 s)."""
    import plotly.graph_objects as go  # heavy: plotly's widget pulls nbformat, jsonschema in

    if not shared():
        return go.FigureWidget

    class LightFigureWidget(go.FigureWidget):
        """A FigureWidget that does not ship plotly.js and draws its current state however
        late its front-end starts (see :mod:`optwidgets.ui._plotly`)."""

        _esm = LOADER

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.on_msg(self._hello)

        def _hello(self, _widget: Any, content: Any, _buffers: Any) -> None:
            if isinstance(content, dict) and content.get("event") == "optwidgets:hello":
                self._widget_layout = deepcopy(self._layout_obj._props)
                self._widget_data = deepcopy(self._data)
                # sent even when unchanged here: it is the browser's copy that is stale
                self.send_state(["_widget_layout", "_widget_data"])
                self.send({"event": "optwidgets:state"})  # after the state, on the same comm

    return LightFigureWidget
