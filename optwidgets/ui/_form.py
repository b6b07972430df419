"""ConfigForm: widgets built from Control specs, bound to one RunConfig (not a copy).

Changing a widget assigns its RunConfig field, which validates it. A refused value keeps
the config as it was and shows the ``ConfigError`` message in red next to the control;
the form reports ``valid == False`` until the value is fixed (the Explorer disables
Train). Assigning ``form.config`` (or calling :meth:`ConfigForm.refresh`) writes every
field back into its widget.

Dataset and model are checked together: when the dataset has no images, models that
need images are removed from the model dropdown, and a selected one is switched to
``mlp`` with a note.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as W

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.ui._spec import Control, Tab

__all__ = ["ConfigForm", "build_widget", "error_html", "note_html"]

_LABEL_WIDTH = "150px"


def error_html(text: str) -> str:
    return f'<span style="color:#c62828">&#9888; {html.escape(text)}</span>'


def note_html(text: str) -> str:
    return f'<span style="color:#8a6d00">&#9432; {html.escape(text)}</span>'


def _to_widget(control: Control, value: Any) -> Any:
    """A config value as the widget holds it."""
    if control.kind == "text" and isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if control.kind == "text":
        return "" if value is None else str(value)
    if control.kind == "checkbox":
        return bool(value)
    return value


def _pairs(options: Iterable[Any]) -> list[tuple[str, Any]]:
    """Dropdown options as ``(label, value)`` pairs (plain values are labelled by str)."""
    return [o if isinstance(o, tuple) and len(o) == 2 else (str(o), o) for o in options]


def _option_values(options: Iterable[Any]) -> list[Any]:
    return [v for _, v in _pairs(options)]


def build_widget(control: Control, value: Any) -> W.Widget:
    """The ipywidget for one control, holding ``value`` (a slider's range is widened to it)."""
    style = {"description_width": _LABEL_WIDTH}
    layout = W.Layout(width="420px")
    common = {"description": control.label or control.field, "style": style, "layout": layout}
    v = _to_widget(control, value)
    kind = control.kind
    if kind == "dropdown":
        options = _pairs(control.options())
        if v not in _option_values(options):
            options.append((str(v), v))
        w = W.Dropdown(options=options, value=v, **common)
    elif kind == "log_slider":
        import math

        lo, hi = (
            math.log10(min(control.min, v) if v > 0 else control.min),
            math.log10(max(control.max, v)),
        )
        w = W.FloatLogSlider(
            value=v,
            min=lo,
            max=hi,
            base=10,
            step=0.1,
            readout_format=".1e",
            continuous_update=False,
            **common,
        )
    elif kind in ("slider", "int_slider"):
        cls = W.IntSlider if kind == "int_slider" else W.FloatSlider
        lo, hi = min(control.min, v), max(control.max, v)
        extra = {"step": control.step} if control.step is not None else {}
        w = cls(value=v, min=lo, max=hi, continuous_update=False, **extra, **common)
    elif kind == "int":
        w = W.IntText(value=v, **common)
    elif kind == "float":
        w = W.FloatText(value=v, **common)
    elif kind == "checkbox":
        w = W.Checkbox(value=v, indent=False, **common)
    else:  # text
        w = W.Text(value=v, continuous_update=False, **common)
    if control.help:
        w.tooltip = control.help
    return w


class ConfigForm:
    """Widgets for the controls of some tabs, editing ``config`` in place.

    Parameters
    ----------
    config : RunConfig
        The config the widgets edit (kept, not copied).
    tabs : sequence of Tab
    show : iterable of str, optional
        Names of the controls to build (``"lr"``, ``"augment.rotate"``); None = all.
        Locked fields are always shown (disabled).
    lock : mapping name -> value, optional
        Fields fixed to a value: assigned now and after every config load, shown disabled
        (a RunConfig field without a control is fixed without being shown).
    on_change : callable, optional
        ``on_change(name)`` after each edit (accepted or refused).
    """

    def __init__(
        self,
        config: RunConfig,
        tabs: Sequence[Tab],
        *,
        show: Iterable[str] | None = None,
        lock: Mapping[str, Any] | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._config = config
        self.tabs = list(tabs)
        self.lock = dict(lock or {})
        self.on_change = on_change
        all_controls = {c.name: c for t in self.tabs for c in t.controls}
        for name in show or ():
            if name not in all_controls:
                raise unknown_name("control", name, all_controls)
        for name in self.lock:  # a field without a control can be locked too (not shown)
            if name not in all_controls and name not in RunConfig.field_names():
                raise unknown_name("control", name, all_controls)
        self.show_all = show is None
        shown = None if show is None else set(show) | (set(self.lock) & set(all_controls))
        self.specs: dict[str, Control] = {
            n: c for n, c in all_controls.items() if shown is None or n in shown
        }
        self.controls: dict[str, W.Widget] = {}
        self.messages: dict[str, W.HTML] = {}
        self.errors: dict[str, str] = {}  # control name -> refusal message
        self.form_error: str | None = None  # a check across fields that fails
        self._syncing = False
        self._apply_locks()
        for name, spec in self.specs.items():
            w = build_widget(spec, self._get(spec))
            w.disabled = name in self.lock
            w.observe(lambda change, n=name: self._edited(n, change["new"]), names="value")
            self.controls[name] = w
            self.messages[name] = W.HTML("")
        self.form_message = W.HTML("")
        self._check_across()

    # -- config ----------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        return self._config

    @config.setter
    def config(self, cfg: RunConfig) -> None:
        if not isinstance(cfg, RunConfig):
            raise ConfigError("config", cfg, "an optwidgets.RunConfig")
        self._config = cfg
        self._apply_locks()
        self.refresh()

    @property
    def valid(self) -> bool:
        """True when no control holds a refused value and the fields agree."""
        return not self.errors and self.form_error is None

    def _get(self, spec: Control) -> Any:
        value = getattr(self._config, spec.field)
        if spec.key is not None:
            value = value.get(spec.key, spec.min if spec.kind != "checkbox" else False)
            value = 0 if value is None else value
        return value

    def _set(self, spec: Control, value: Any) -> None:
        if spec.kind == "text" and isinstance(value, str):
            value = value.strip()
        if spec.key is not None:
            d = dict(getattr(self._config, spec.field))
            if value in (0, 0.0, False, None, ""):
                d.pop(spec.key, None)
            else:
                d[spec.key] = value
            value = d
        setattr(self._config, spec.field, value)  # validates; raises ConfigError

    def _apply_locks(self) -> None:
        for name, value in self.lock.items():
            if name in self.specs:
                self._set(self.specs[name], value)
            else:
                setattr(self._config, name, value)  # validates

    # -- widgets -> config -------------------------------------------------------------
    def _edited(self, name: str, value: Any) -> None:
        if self._syncing:
            return
        spec = self.specs[name]
        try:
            self._set(spec, value)
        except ConfigError as exc:
            self.errors[name] = str(exc)
            self.messages[name].value = error_html(str(exc))
        else:
            self.errors.pop(name, None)
            self.messages[name].value = ""
            if spec.field in ("dataset", "model"):
                self._sync_models()
            self._check_across()
        if self.on_change is not None:
            self.on_change(name)

    def set(self, name: str, value: Any) -> None:
        """Set a control's value as a user would (validated, message on refusal)."""
        self.controls[name].value = _to_widget(self.specs[name], value)

    # -- config -> widgets -------------------------------------------------------------
    def refresh(self) -> None:
        """Write every field of ``config`` into its widget and clear the messages."""
        self._syncing = True
        try:
            for name, spec in self.specs.items():
                w = self.controls[name]
                v = _to_widget(spec, self._get(spec))
                if isinstance(w, W.Dropdown) and v not in _option_values(w.options):
                    w.options = [*_pairs(w.options), (str(v), v)]
                if isinstance(w, W.FloatLogSlider) and v > 0:
                    import math

                    w.min, w.max = min(w.min, math.log10(v)), max(w.max, math.log10(v))
                elif isinstance(w, (W.FloatSlider, W.IntSlider)):
                    w.min, w.max = min(w.min, v), max(w.max, v)
                w.value = v
                self.messages[name].value = ""
            self.errors.clear()
        finally:
            self._syncing = False
        self._sync_models()
        self._check_across()

    def _sync_models(self) -> None:
        """Offer only models that fit the dataset; switch an image-only model to mlp."""
        from optwidgets.data import is_image_dataset
        from optwidgets.models import is_conv_model, model_names

        cfg = self._config
        try:
            images = is_image_dataset(cfg.dataset)
        except ConfigError:
            return
        fits = [m for m in model_names() if images or not is_conv_model(m)]
        note = ""
        if cfg.model not in fits and fits:
            old = cfg.model
            cfg.model = "mlp" if "mlp" in fits else fits[0]
            note = (
                f"model switched from {old!r} to {cfg.model!r}: {old!r} needs image input "
                f"and {cfg.dataset!r} has feature vectors"
            )
        w = self.controls.get("model")
        if w is not None:
            self._syncing = True
            try:
                opts = _pairs(fits if cfg.model in fits else [*fits, cfg.model])
                if list(w.options) != opts:
                    with w.hold_trait_notifications():
                        w.options = opts
                        w.value = cfg.model
                w.value = cfg.model
            finally:
                self._syncing = False
            self.errors.pop("model", None)
            self.messages["model"].value = note_html(note) if note else ""

    def _check_across(self) -> None:
        try:
            self._config.validate()
        except ConfigError as exc:
            self.form_error = str(exc)
            self.form_message.value = error_html(str(exc))
        else:
            self.form_error = None
            self.form_message.value = ""

    # -- layout --------------------------------------------------------------------------
    def visible_tabs(self) -> list[Tab]:
        """Tabs with at least one shown control (or an ``extra`` widget and no filter)."""
        return [
            t
            for t in self.tabs
            if any(c.name in self.specs for c in t.controls)
            or (t.extra is not None and self.show_all)
        ]

    def tab_box(self, tab: Tab, extra: W.Widget | None = None) -> W.VBox:
        rows: list[W.Widget] = []
        if tab.help:
            rows.append(W.HTML(f'<span style="color:#555">{html.escape(tab.help)}</span>'))
        for c in tab.controls:
            if c.name in self.specs:
                rows.append(W.HBox([self.controls[c.name], self.messages[c.name]]))
        if extra is not None:
            rows.append(extra)
        return W.VBox(rows)

    def layout(self, extras: Mapping[str, W.Widget] | None = None) -> W.Tab:
        """The tabs as an ``ipywidgets.Tab``; ``extras`` maps a tab title to a widget."""
        tabs = self.visible_tabs()
        extras = extras or {}
        tab = W.Tab(children=[self.tab_box(t, extras.get(t.title)) for t in tabs])
        tab.titles = tuple(t.title for t in tabs)
        return tab
