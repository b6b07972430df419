"""RunPanel: the parts every training widget shares, as a real ipywidgets widget.

A config form (controls bound to one RunConfig), Train / Stop buttons, a background
runner (one run at a time), a progress line with ETA and a status line. The Explorer and
the lesson widgets subclass it, implement :meth:`RunPanel._job` and lay their parts out
with the pieces of :mod:`optwidgets.ui._layout`. A panel *is* an ``ipywidgets.VBox``: it
goes inside ``VBox``, ``AppLayout`` or a Voilà template, and ``display(panel)`` shows it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as W

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.runs import RunStore, as_store
from optwidgets.ui._form import ConfigForm
from optwidgets.ui._layout import STATE_COLORS, status_html
from optwidgets.ui._live import ProgressView
from optwidgets.ui._runner import BackgroundRunner

__all__ = ["RunPanel", "panel_store", "status_html", "STATE_COLORS"]


def panel_store(store: RunStore | str | os.PathLike | None) -> RunStore:
    """The store a widget saves and lists its runs in: ``store=`` as
    :func:`optwidgets.runs.as_store` reads it, except that a widget needs one (no False)."""
    run_store = as_store(store)
    if run_store is None:
        raise ConfigError(
            "store",
            store,
            "a RunStore, a folder path or None (the default store)",
            "a widget lists the runs it makes, so it keeps them in a store",
        )
    return run_store


class RunPanel(W.VBox):
    """Base of the training widgets (see module doc). Subclasses call :meth:`_init_panel`,
    build their layout, call :meth:`_show_layout` with the children, and implement
    ``_job(cancel)``, which must end by calling :meth:`_done`."""

    def _init_panel(
        self,
        config: RunConfig,
        tabs: Sequence[Any],
        *,
        store: RunStore | str | os.PathLike | None,
        show: Iterable[str] | None,
        lock: Mapping[str, Any] | None,
    ) -> None:
        if not isinstance(config, RunConfig):
            raise ConfigError("config", config, "an optwidgets.RunConfig (or None)")
        self.store = panel_store(store)
        self.form = ConfigForm(config, tabs, show=show, lock=lock, on_change=self._form_changed)
        self.controls: dict[str, W.Widget] = self.form.controls
        self.runner = BackgroundRunner()
        self.state = "ready"
        self._busy = False
        self._status_text = ""
        self.train_button = W.Button(
            description="Train", button_style="success", icon="play",
            layout=W.Layout(width="92px", flex="0 0 92px"),
        )  # fmt: skip
        self.stop_button = W.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True,
            tooltip="stop within one batch", layout=W.Layout(width="80px", flex="0 0 80px"),
        )  # fmt: skip
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = ProgressView()
        self.status_html = W.HTML("", layout=W.Layout(width="auto", min_width="0", margin="0 2px"))
        # stable CSS hooks for notebooks' own styling and for the browser test
        self.train_button.add_class("ow-train")
        self.stop_button.add_class("ow-stop")
        self.status_html.add_class("ow-status")
        self._set_status("ready", "ready: set the controls and press Train")

    def _show_layout(self, children: Sequence[W.Widget], *, classes: Iterable[str] = ()) -> None:
        """Become the VBox holding ``children`` (call once, at the end of construction)."""
        W.VBox.__init__(
            self, children=list(children),
            layout=W.Layout(width="100%", min_width="0", grid_gap="6px", overflow="visible"),
        )  # fmt: skip
        for c in ("ow-dash", *classes):
            self.add_class(c)

    @property
    def widget(self) -> W.Widget:
        """The widget to display or to put in a layout: the panel itself."""
        return self

    # -- config --------------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        """The RunConfig the controls edit (the object itself, not a copy)."""
        return self.form.config

    @config.setter
    def config(self, cfg: RunConfig) -> None:
        self.form.config = cfg
        self._form_changed("config")

    def _form_changed(self, name: str) -> None:
        self._update_buttons()

    def _problem(self) -> str | None:
        """Why Train cannot start now (None when it can)."""
        if not self.form.valid:
            return self.form.form_error
        return None

    def _update_buttons(self) -> None:
        problem = None if self._busy else self._problem()
        self.train_button.disabled = self._busy or problem is not None
        self.stop_button.disabled = not self._busy
        self.train_button.tooltip = (
            f"fix first: {problem}" if problem else "train with these settings (background thread)"
        )

    # -- status --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """The status line as plain text (``"done · baseline · test accuracy 0.975 …"``)."""
        return self._status_text

    def _set_status(self, state: str, text: str) -> None:
        self.state, self._status_text = state, text
        self.status_html.value = status_html(state, text)

    # -- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._busy

    def _start_text(self) -> str:
        cfg = self.config
        return f"training {cfg.dataset} / {cfg.model} / {cfg.optimizer} lr={cfg.lr:g} …"

    def train(self, *, block: bool = False, timeout: float | None = None) -> bool:
        """Start training on a background thread; returns whether it started.

        Nothing starts while a run is going on (a second click does nothing) or while the
        settings disagree with each other. ``block=True`` waits for the end.
        """
        return self._start(self._job, self._start_text, block=block, timeout=timeout)

    def _start(
        self,
        job: Callable[[threading.Event], Any],
        status: Callable[[], str],
        *,
        block: bool,
        timeout: float | None,
    ) -> bool:
        """Start ``job(cancel)`` as Train does; the job must end by calling :meth:`_done`."""
        if self._busy or self.runner.running:
            return False
        problem = self._problem()
        if problem is not None:
            self._set_status("invalid", f"not started: {problem}")
            self._update_buttons()
            return False
        self._busy = True
        self.progress.job = ""
        self._set_status("running", status())
        self._update_buttons()
        def shown(cancel: threading.Event) -> Any:  # a dataset's download on the progress line
            with self.progress.downloads():
                return job(cancel)

        if not self.runner.start(shown, name=f"optwidgets-{type(self).__name__}"):
            self._busy = False
            self._update_buttons()
            return False
        if block:
            self.wait(timeout)
        return True

    def stop(self) -> None:
        """Stop the running job within one batch (status ``stopped``)."""
        if self._busy:
            self.runner.stop()
            self.progress.show("stopping …")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background job to end; True when none is running."""
        return self.runner.wait(timeout)

    def _job(self, cancel: threading.Event) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _done(self, state: str, text: str) -> None:
        """Called by the job as its last step: status, buttons."""
        self._busy = False
        self._set_status(state, text)
        self._update_buttons()
