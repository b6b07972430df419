"""Small pieces of front-end code (anywidget): clipboard, downloads, resizing, the CSS.

- :class:`PageBridge` (one per dashboard, invisible): loads the dashboard's :data:`CSS`;
  carries plotly's widget bundle once for all the dashboard's figures
  (:mod:`optwidgets.ui._plotly`); saves files in the browser (:meth:`PageBridge.download`: a Blob and a link click, so a
  Voilà or Colab user gets the file too); and tells plotly figures to fit their box when
  the dashboard's width changes (plotly only listens to window resizes).
- :class:`CopyButton`: a button whose click writes ``text`` to the browser's clipboard
  in the click itself (browsers allow clipboard writes only during a user's gesture),
  then reports back (``on_result(ok, error)``).

Nothing here runs without a front-end: in a plain Python process messages go nowhere,
and :attr:`PageBridge.sent` keeps what would have been sent (for tests).

Example
-------
>>> bridge = PageBridge()
>>> bridge.download("runs.csv", "a,b\\n1,2\\n", mime="text/csv")
>>> bridge.sent[-1][0]["filename"], bytes(bridge.sent[-1][1][0])
('runs.csv', b'a,b\\n1,2\\n')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from optwidgets.ui._layout import CSS
from optwidgets.ui._plotly import host_code, mark_host

__all__ = ["PageBridge", "CopyButton"]

_BRIDGE_ESM = r"""
const __owBridge = (() => { function render({ model, el }) {
  el.style.display = "none";
  // plotly's FigureWidget draws at its default 700 px when it renders before it is in
  // the page, and refits only on window resizes: tell it when its box is there or moves.
  const timers = [];
  const nudge = () => {
    timers.splice(0).forEach(clearTimeout);
    for (const ms of [80, 400, 1200])
      timers.push(setTimeout(() => window.dispatchEvent(new Event("resize")), ms));
  };
  const sizes = new WeakMap();
  const ro = new ResizeObserver((entries) => {
    let changed = false;
    for (const e of entries) {
      const w = Math.round(e.contentRect.width), h = Math.round(e.contentRect.height);
      const old = sizes.get(e.target);
      if (!old || old[0] !== w || (old[1] === 0) !== (h === 0)) changed = true;
      sizes.set(e.target, [w, h]);
    }
    if (changed) nudge();
  });
  let root = null, mo = null;
  const watch = () => {
    ro.observe(root);
    root.querySelectorAll(".ow-slot, .ow-grid").forEach((s) => ro.observe(s));
  };
  const isSlot = (n) => n.nodeType === 1 && (n.classList.contains("ow-slot")
    || (n.querySelector && n.querySelector(".ow-slot")));
  const attach = (tries) => {
    root = el.closest(".ow-dash");
    if (!root) { if (tries < 200) setTimeout(() => attach(tries + 1), 100); return; }
    watch();
    nudge();
    mo = new MutationObserver((records) => {
      // only a plot box getting a new child (a figure put in) or new plot boxes: the
      // plots' own redraws change their insides, which is not watched
      const hit = records.some((r) => (r.target.nodeType === 1 && r.target.classList
        && r.target.classList.contains("ow-slot")) || Array.from(r.addedNodes).some(isSlot));
      if (hit) { watch(); nudge(); }
    });
    mo.observe(root, { childList: true, subtree: true });
  };
  attach(0);
  const onMsg = (msg, buffers) => {
    if (!msg || msg.kind !== "download") return;
    const blob = new Blob(buffers && buffers.length ? [buffers[0]] : [msg.text || ""],
                          { type: msg.mime || "application/octet-stream" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url; a.download = msg.filename || "download"; a.style.display = "none";
    document.body.appendChild(a); a.click();
    setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
    model.send({ event: "downloaded", filename: a.download });
  };
  model.on("msg:custom", onMsg);
  return () => {
    ro.disconnect(); if (mo) mo.disconnect(); timers.forEach(clearTimeout);
    model.off("msg:custom", onMsg);
  };
} return { render }; })();
export default __owBridge;
"""

_COPY_ESM = r"""
function render({ model, el }) {
  const b = document.createElement("button");
  b.className = "jupyter-widgets jupyter-button widget-button";
  const icon = document.createElement("i");
  icon.className = "fa fa-copy";
  icon.style.marginRight = "4px";
  const label = document.createElement("span");
  b.append(icon, label);
  const sync = () => {
    label.textContent = model.get("description");
    b.title = model.get("tooltip");
    b.disabled = model.get("disabled");
  };
  sync();
  model.on("change:description", sync);
  model.on("change:tooltip", sync);
  model.on("change:disabled", sync);
  const fallback = (text) => {  // no async clipboard (an insecure page): a hidden textarea
    const t = document.createElement("textarea");
    t.value = text; t.style.position = "fixed"; t.style.opacity = "0";
    document.body.appendChild(t); t.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    t.remove();
    return ok;
  };
  b.addEventListener("click", () => {
    const text = model.get("text");
    const report = (ok, error) => model.send({ event: "copied", ok, error: error || "" });
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => report(true),
        (e) => report(fallback(text), String(e)));
    } else {
      report(fallback(text), "no clipboard access on this page");
    }
  });
  el.appendChild(b);
}
export default { render };
"""


class PageBridge(anywidget.AnyWidget):
    """The dashboard's link to the page (see module doc); put it anywhere inside the
    dashboard's root box (the one with CSS class ``ow-dash``)."""

    _esm = traitlets.Unicode(_BRIDGE_ESM).tag(sync=True)
    _css = traitlets.Unicode(CSS).tag(sync=True)

    def __init__(self, *, plotly: bool = True, **kwargs: Any) -> None:
        host = plotly and bool(host_code())
        if host:  # the dashboard's one copy of plotly's bundle
            kwargs.setdefault("_esm", host_code() + "\n" + _BRIDGE_ESM)
        super().__init__(**kwargs)
        if host:
            mark_host()  # figures made from now on can use it
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self.downloads: list[str] = []  # file names the browser reported saved
        self.on_msg(self._received)

    def download(self, filename: str, data: str | bytes, *, mime: str = "text/plain") -> None:
        """Have the browser save ``data`` as ``filename`` (its usual download prompt)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        content = {"kind": "download", "filename": filename, "mime": mime}
        self.sent.append((content, [raw]))
        del self.sent[:-10]
        self.send(content, buffers=[raw])

    def _received(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "downloaded":
            self.downloads.append(str(content.get("filename")))


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the browser's clipboard when clicked.

    ``on_result(ok, error)`` runs in the kernel after the browser tried (``ok`` False
    when the page may not write the clipboard: show the text instead).
    """

    _esm = traitlets.Unicode(_COPY_ESM).tag(sync=True)
    description = traitlets.Unicode("Copy").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_result: Callable[[bool, str], None] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.on_result = on_result
        self.on_msg(self._received)

    def _received(self, _widget: Any, content: Any, _buffers: Any) -> None:
        copied = isinstance(content, dict) and content.get("event") == "copied"
        if copied and self.on_result is not None:
            self.on_result(bool(content.get("ok")), str(content.get("error") or ""))
