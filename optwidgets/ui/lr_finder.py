"""The Training tab's learning-rate finder: one button that ramps the rate, draws the
curve and sets ``lr`` to the suggestion.

Thin by design: :func:`optwidgets.lr_find` (engine) ramps the learning rate and applies
its suggestion rule; :func:`optwidgets.viz.lr_finder_curve` draws the curve; this module
runs the finder on the Explorer's background thread (Train is disabled meanwhile, as for
any job) and sets the ``lr`` control as a user would, so the slider, its box and the
config agree.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(ow.RunConfig(dataset="digits", model="mlp"), store=tempfile.mkdtemp())
>>> ex.lr_finder.find(block=True, steps=60)
True
>>> ex.config.lr == ex.lr_finder.result.suggestion_shown
True
"""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as W

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs.lr_find import SUGGESTION_RULE, LRFinderResult, lr_find
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._layout import PlotSlot, error_html, note_html
from optwidgets.ui._runner import Outcome
from optwidgets.viz import lr_finder_curve

__all__ = ["LRFinderPanel", "FoundRate", "finder_panel"]

PLOT_HEIGHT = 250  # px: fits the Training tab's pane beside its controls
STEPS = 200  # optimizer steps of the ramp (lr_find's default): ~1 s for digits mlp, one core


class FoundRate:
    """What one click found: the engine's result and the rate put into the control."""

    def __init__(self, found: LRFinderResult) -> None:
        self.found = found
        # two significant digits: what a person types, and the rule is no finer than that
        self.suggestion_shown = float(f"{found.suggestion:.2g}")

    @property
    def suggestion(self) -> float:
        return self.found.suggestion


class LRFinderPanel:
    """Button, message and plot of the learning-rate finder inside an Explorer.

    Attributes (for code and tests): ``button``, ``message`` (HTML), ``slot`` (the
    plot's place; ``slot.figure`` once drawn), ``result`` (:class:`FoundRate` of the
    last find, or None), ``widget``.
    """

    def __init__(self, explorer: Any) -> None:
        self.explorer = explorer
        self.result: FoundRate | None = None
        self.button = W.Button(
            description="Find learning rate", icon="line-chart",
            tooltip="ramp the learning rate over a short run, draw the loss, set lr to "
                    f"the suggestion ({SUGGESTION_RULE})",
            layout=W.Layout(width="auto"),
        )  # fmt: skip
        self.button.on_click(lambda _: self.find())
        self.message = W.HTML(note_html("Suggests a learning rate for the settings above "
                                        "(model, data, optimizer, batch size)."))
        self.slot = PlotSlot(PLOT_HEIGHT, "The loss against the learning rate<br>"
                             "is drawn here", flex="0 0 auto")
        self.slot.widget.layout.width = "100%"
        self.widget = W.VBox([self.button, self.message, self.slot.widget],
                             layout=W.Layout(width="100%"))
        form = explorer.form
        if "lr" in form.lock or "lr" not in form.controls:  # a lesson fixed the rate
            self.button.disabled = True
            self.button.tooltip = "the learning rate is fixed here (locked or not shown)"

    def find(self, *, block: bool = False, steps: int = STEPS,
             timeout: float | None = None) -> bool:
        """Start the finder on the Explorer's background thread; returns whether it
        started (not while a run is going on, nor with settings that disagree)."""
        if self.button.disabled:
            return False
        cfg = self.explorer.config

        def job(cancel: threading.Event) -> Outcome:
            try:
                found = FoundRate(lr_find(cfg.replace().without_unused(), steps=steps))
            except (ConfigError, DataError) as exc:
                self.message.value = error_html(f"no learning rate found: {exc}")
                return Outcome(None, f"lr finder not started: {exc}", state="invalid")
            self.result = found
            self._draw(found)
            old = self.explorer.config.lr
            self.explorer.form.set("lr", found.suggestion_shown)
            text = (f"lr set to {found.suggestion_shown:.2g} (was {old:.2g}): where the smoothed "
                    f"loss falls fastest; its minimum is at {found.found.min_lr:.2g}")
            self.message.value = note_html(text)
            # the action bar gets one short line; the panel under the button has the rest
            return Outcome(None, f"lr finder: lr set to {found.suggestion_shown:.2g} "
                                 f"(was {old:.2g})", state="ready")

        return self.explorer.start_job(job, status=f"finding a learning rate for "
                                       f"{cfg.dataset} / {cfg.model} / {cfg.optimizer} …",
                                       block=block, timeout=timeout)

    def _draw(self, found: FoundRate) -> None:
        fig = lr_finder_curve(found.found.curve, suggestion=found.suggestion,
                              min_lr=found.found.min_lr, title=None)
        fig.update_layout(margin={"l": 48, "r": 12, "t": 28, "b": 40},
                          legend={"font": {"size": 10}})
        if self.slot.figure is None:
            self.slot.show(figure_widget(fig, height=PLOT_HEIGHT))
        else:
            replace_figure(self.slot.figure, fig)


def finder_panel(explorer: Any) -> W.Widget:
    """``Tab.extra`` of the Training tab: builds the finder, keeps it on the Explorer."""
    panel = LRFinderPanel(explorer)
    explorer.lr_finder = panel
    return panel.widget
