"""The Explorer's control tabs: one module per tab, each a declarative list of controls.

How to add a tab (Compression, Augmentation, Search, ...)
---------------------------------------------------------
Add **one module** to this folder that defines ``TAB``, a :class:`Tab` of
:class:`Control` specs. Nothing else: every module here that defines ``TAB`` is found
when the Explorer is first built, and tabs are shown by increasing ``TAB.order``
(built-ins: Data & model 10, Training 20, Regularization 30). Each control edits exactly
one RunConfig field; the Explorer builds the widget, validates through RunConfig
(a refused value shows its ``ConfigError`` next to the control and disables Train),
reloads it when a config is loaded, and honours classroom ``show=`` / ``lock=``.

Example: ``optwidgets/ui/tabs/compression.py``::

    from optwidgets.config import PRUNE_METHODS, QUANT_MODES
    from optwidgets.ui.tabs import Control, Tab

    TAB = Tab("Compression", order=50, help="Shrink the trained model, then measure it.",
              controls=[
        Control("prune_method", "dropdown", "pruning", choices=PRUNE_METHODS),
        Control("prune_ratio", "slider", "prune ratio", min=0, max=0.95, step=0.05,
                help="fraction of weights / units / channels removed"),
        Control("quant_mode", "dropdown", "quantization", choices=QUANT_MODES),
        Control("quant_bits", "int_slider", "bits", min=2, max=16),
    ])

Widget kinds: see :data:`KINDS` (``dropdown``, ``log_slider``, ``slider``,
``int_slider``, ``int``, ``float``, ``text``, ``checkbox``). A control can edit one key
of a dict field: ``Control("augment", "slider", "rotate (deg)", key="rotate", min=0,
max=45)``. ``Tab(extra=fn)`` appends ``fn(explorer)``'s widget below the controls when a
tab needs more than field editors; a tab that starts runs of its own (a sweep, a
search) runs them with ``explorer.start_job(job, status=...)`` so Train, Stop, the
status line and the runs views behave as for Train. From a notebook,
:func:`register_tab` adds a tab at run time.
"""

from __future__ import annotations

import importlib
import pkgutil

from optwidgets.ui._spec import KINDS, Control, Tab

__all__ = ["Control", "Tab", "KINDS", "tabs", "register_tab", "unregister_tab"]

_EXTRA: dict[str, Tab] = {}  # tabs added with register_tab, by title


def _discovered() -> list[Tab]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        tab = getattr(module, "TAB", None)
        if isinstance(tab, Tab):
            found.append(tab)
    return found


def tabs() -> list[Tab]:
    """Every tab (modules of this folder, then registered ones), sorted by ``order``.

    Example
    -------
    >>> [t.title for t in tabs()][:3]
    ['Data & model', 'Training', 'Regularization']
    """
    by_title = {t.title: t for t in _discovered()}
    by_title.update(_EXTRA)
    return sorted(by_title.values(), key=lambda t: (t.order, t.title))


def register_tab(tab: Tab) -> Tab:
    """Add (or replace, by title) a tab for Explorers built from now on; returns it."""
    if not isinstance(tab, Tab):
        raise TypeError(f"register_tab expects an optwidgets.ui.tabs.Tab, got {type(tab).__name__}")
    _EXTRA[tab.title] = tab
    return tab


def unregister_tab(title: str) -> None:
    """Remove a tab added with :func:`register_tab`."""
    _EXTRA.pop(title, None)
