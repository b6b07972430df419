"""ConfigForm: widgets built from Control specs, bound to one RunConfig (not a copy).

A widget shows its RunConfig field; changing it assigns the field, which validates it.

- **Refused values.** A value RunConfig refuses (typed, set from code, or a dropdown value
  that is not a choice) never reaches the config and never raises: the widget keeps the
  config's value and a message next to it names the field, the value and what is allowed
  (``lr=-1 is not allowed: expected a number in (0, 10] — kept 0.003``). Sliders do not
  clamp: their typed box sends the value as typed, and a value outside the slider's range
  that RunConfig accepts widens the slider.
- **Controls that do not apply** to the other settings (bits with ``quant_mode='int8'``)
  are disabled, with a tooltip saying why (:meth:`RunConfig.inactive_reason`); locked
  ones say they are locked.
- Dataset and model are checked together: when the dataset has no images, models that
  need images are removed from the model dropdown, and a selected one is switched to
  ``mlp`` with a note. A check across fields that fails (``validate()``) is shown under
  the tabs and makes ``valid`` False (Train waits).

Assigning ``form.config`` (or calling :meth:`ConfigForm.refresh`) writes every field back.
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import traitlets

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.data import is_image_dataset
from optwidgets.models import is_conv_model, model_names
from optwidgets.ui._layout import PANE_HEIGHT, control_row, error_html, note_html
from optwidgets.ui._spec import Control, Tab

__all__ = ["ConfigForm", "build_widget", "error_html", "note_html", "GUARDED"]

_LABEL_WIDTH = "118px"
_BOX_WIDTH = "78px"


# ------------------------------------------------------------------ guarded widgets
# Each checks a proposed value with ``guard(value) -> message | None`` before it is
# taken: a message means "refused", and the widget keeps its value (no TraitError, no
# silent clamp). Without a guard they behave like their ipywidgets parents, except
# that sliders widen their range instead of clamping.


class _Guarded:
    guard: Callable[[Any], str | None] | None = None

    def _check(self, value: Any) -> bool:
        guard = self.guard
        return guard is None or guard(value) is None


class GuardedDropdown(_Guarded, W.Dropdown):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        value = proposal.value
        known = [v for _, v in _pairs(self.options)]
        if value in known:
            return super()._validate_value(proposal)
        if not self._check(value):
            return self.value
        if self.guard is None:  # no config behind it: say what the choices are
            raise traitlets.TraitError(
                f"{self.description or 'value'}={value!r} is not one of "
                + ", ".join(repr(v) for v in known)
            )
        self.options = [*_pairs(self.options), (str(value), value)]  # accepted: offer it
        return value


def _widen(widget: Any, value: Any, *, log: bool = False) -> None:
    if log:
        exp = math.log10(value) if value > 0 else widget.min
        widget.min, widget.max = min(widget.min, exp), max(widget.max, exp)
    else:
        widget.min, widget.max = min(widget.min, value), max(widget.max, value)


class GuardedFloatSlider(_Guarded, W.FloatSlider):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        value = proposal.value
        if not self._check(value):
            return self.value
        _widen(self, value)
        return value


class GuardedIntSlider(_Guarded, W.IntSlider):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        value = proposal.value
        if not self._check(value):
            return self.value
        _widen(self, value)
        return value


class GuardedLogSlider(_Guarded, W.FloatLogSlider):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        value = proposal.value
        if not self._check(value):
            return self.value
        if value > 0:
            _widen(self, value, log=True)
        return value


class GuardedFloatText(_Guarded, W.FloatText):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal.value if self._check(proposal.value) else self.value


class GuardedIntText(_Guarded, W.IntText):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal.value if self._check(proposal.value) else self.value


class GuardedText(_Guarded, W.Text):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal.value if self._check(proposal.value) else self.value


class GuardedCheckbox(_Guarded, W.Checkbox):
    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal.value if self._check(proposal.value) else self.value


GUARDED = (
    GuardedDropdown,
    GuardedFloatSlider,
    GuardedIntSlider,
    GuardedLogSlider,
    GuardedFloatText,
    GuardedIntText,
    GuardedText,
    GuardedCheckbox,
)


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


def build_widget(control: Control, value: Any) -> tuple[W.Widget, W.Widget | None]:
    """The widget for one control holding ``value``, and for sliders the typed box beside
    it (``None`` otherwise). A slider's range is widened to the value."""
    style = {"description_width": _LABEL_WIDTH}
    common = {
        "description": control.label or control.field,
        "style": style,
        "layout": W.Layout(width="auto", flex="1 1 auto", min_width="0"),
    }
    v = _to_widget(control, value)
    kind = control.kind
    box: W.Widget | None = None
    if kind == "dropdown":
        options = _pairs(control.options())
        if v not in _option_values(options):
            options.append((str(v), v))
        w: W.Widget = GuardedDropdown(options=options, value=v, **common)
    elif kind == "log_slider":
        lo, hi = (
            math.log10(min(control.min, v) if v > 0 else control.min),
            math.log10(max(control.max, v)),
        )
        w = GuardedLogSlider(
            value=v, min=lo, max=hi, base=10, step=0.1, readout=False,
            continuous_update=False, **common,
        )  # fmt: skip
        box = GuardedFloatText(value=v, layout=W.Layout(width=_BOX_WIDTH, min_width=_BOX_WIDTH))
    elif kind in ("slider", "int_slider"):
        cls = GuardedIntSlider if kind == "int_slider" else GuardedFloatSlider
        lo, hi = min(control.min, v), max(control.max, v)
        extra = {"step": control.step} if control.step is not None else {}
        w = cls(value=v, min=lo, max=hi, readout=False, continuous_update=False, **extra, **common)
        text_cls = GuardedIntText if kind == "int_slider" else GuardedFloatText
        box = text_cls(value=v, layout=W.Layout(width=_BOX_WIDTH, min_width=_BOX_WIDTH))
    elif kind == "int":
        w = GuardedIntText(value=v, **common)
    elif kind == "float":
        w = GuardedFloatText(value=v, **common)
    elif kind == "checkbox":
        w = GuardedCheckbox(value=v, indent=False, **common)
    else:  # text
        w = GuardedText(value=v, continuous_update=False, **common)
    if control.help:
        w.tooltip = control.help
        if box is not None:
            box.tooltip = f"type a value: {control.help}"
    return w, box


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

    Attributes (for code and tests): ``controls`` (name -> the widget holding the value;
    for sliders the slider), ``boxes`` (name -> a slider's typed box), ``messages``
    (name -> HTML next to the control), ``refusals`` (name -> the last refusal, until
    the next accepted edit), ``form_error`` (a check across fields that fails).
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
        self.boxes: dict[str, W.Widget] = {}
        self.messages: dict[str, W.HTML] = {}
        self.rows: dict[str, W.Widget] = {}
        self.refusals: dict[str, str] = {}
        self.form_error: str | None = None  # a check across fields that fails
        self._syncing = False
        self._apply_locks()
        for name, spec in self.specs.items():
            w, box = build_widget(spec, self._get(spec))
            for widget in (w, box):
                if widget is None:
                    continue
                widget.guard = lambda value, n=name: self._guard(n, value)
                widget.observe(lambda change, n=name: self._edited(n, change["new"]), names="value")
            self.controls[name] = w
            if box is not None:
                self.boxes[name] = box
            self.messages[name] = W.HTML("", layout=W.Layout(display="none"))
            self.rows[name] = control_row(w, box, self.messages[name])
        self.form_message = W.HTML("")
        self._check_across()
        self._apply_enabled()

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
        """True when the fields agree with each other (refused values never get in)."""
        return self.form_error is None

    @property
    def errors(self) -> dict[str, str]:
        """Kept for code written against the old form: the refusals shown now."""
        return dict(self.refusals)

    def _get(self, spec: Control) -> Any:
        value = getattr(self._config, spec.field)
        if spec.key is not None:
            value = value.get(spec.key, spec.min if spec.kind != "checkbox" else False)
            value = 0 if value is None else value
        return value

    def _value_for(self, spec: Control, value: Any) -> Any:
        """The field value a widget value stands for (a dict field gets its new dict)."""
        if spec.kind == "text" and isinstance(value, str):
            value = value.strip()
        if spec.key is not None:
            d = dict(getattr(self._config, spec.field))
            if value in (0, 0.0, False, None, ""):
                d.pop(spec.key, None)
            else:
                d[spec.key] = value
            value = d
        return value

    def _set(self, spec: Control, value: Any) -> None:
        setattr(self._config, spec.field, self._value_for(spec, value))  # validates

    def _apply_locks(self) -> None:
        for name, value in self.lock.items():
            if name in self.specs:
                self._set(self.specs[name], value)
            else:
                setattr(self._config, name, value)  # validates

    # -- widgets -> config -------------------------------------------------------------
    def _guard(self, name: str, value: Any) -> str | None:
        """Why ``value`` is refused for control ``name`` (None: it may go in). Called by
        the widget before it takes the value; a refusal is shown next to the control."""
        if self._syncing:
            return None
        spec = self.specs[name]
        trial = copy.copy(self._config)
        try:
            setattr(trial, spec.field, self._value_for(spec, value))
        except ConfigError as exc:
            kept = _to_widget(spec, self._get(spec))
            message = f"{exc} — kept {kept!r}"
        except (TypeError, ValueError) as exc:  # a value of the wrong kind altogether
            kept = _to_widget(spec, self._get(spec))
            message = f"{spec.field}={value!r} is not allowed: {exc} — kept {kept!r}"
        else:
            return None
        self.refusals[name] = message
        self._show_message(name, error_html(message))
        if self.on_change is not None:
            self.on_change(name)
        return message

    def _edited(self, name: str, value: Any) -> None:
        if self._syncing:
            return
        spec = self.specs[name]
        try:
            self._set(spec, value)
        except ConfigError as exc:  # the guard let it through, the config did not
            self.refusals[name] = str(exc)
            self._show_message(name, error_html(str(exc)))
            self._write(name)
        else:
            self.refusals.pop(name, None)
            self._show_message(name, "")
            self._write(name)  # the slider and its box agree
            if spec.field in ("dataset", "model"):
                self._sync_models()
            self._check_across()
            self._apply_enabled()
        if self.on_change is not None:
            self.on_change(name)

    def set(self, name: str, value: Any) -> bool:
        """Set a control's value as a user would; returns whether it was taken (a refusal
        is shown next to the control, never raised)."""
        before = self.refusals.get(name)
        self.refusals.pop(name, None)
        self.controls[name].value = _to_widget(self.specs[name], value)
        taken = name not in self.refusals
        if taken and before is not None:
            self._show_message(name, "")
        return taken

    def _show_message(self, name: str, text: str) -> None:
        msg = self.messages[name]
        msg.value = text
        msg.layout.display = None if text else "none"

    # -- config -> widgets -------------------------------------------------------------
    def _write(self, name: str) -> None:
        """Put the config's value of control ``name`` into its widget(s)."""
        spec = self.specs[name]
        v = _to_widget(spec, self._get(spec))
        self._syncing = True
        try:
            for w in (self.controls[name], self.boxes.get(name)):
                if w is None:
                    continue
                if isinstance(w, W.Dropdown) and v not in _option_values(w.options):
                    w.options = [*_pairs(w.options), (str(v), v)]
                if isinstance(w, W.FloatLogSlider):
                    if v > 0:
                        _widen(w, v, log=True)
                elif isinstance(w, (W.FloatSlider, W.IntSlider)):
                    _widen(w, v)
                if w.value != v:
                    w.value = v
        finally:
            self._syncing = False

    def refresh(self) -> None:
        """Write every field of ``config`` into its widget and clear the messages."""
        for name in self.specs:
            self._write(name)
            self._show_message(name, "")
        self.refusals.clear()
        self._sync_models()
        self._check_across()
        self._apply_enabled()

    def _apply_enabled(self) -> None:
        """Disable (with the reason as tooltip) locked controls and those that do not
        apply to the other settings; enable the rest with their help as tooltip."""
        cfg = self._config
        for name, spec in self.specs.items():
            label = spec.label or spec.field
            if name in self.lock:
                reason = f"{label}: locked to {self.lock[name]!r} here"
            else:
                why = cfg.inactive_reason(spec.field) if spec.key is None else None
                reason = f"{label} {why} (now off)" if why else None
            for w in (self.controls[name], self.boxes.get(name)):
                if w is None:
                    continue
                w.disabled = reason is not None
                w.tooltip = reason if reason is not None else (spec.help or None)
            row = self.rows[name]
            if reason is not None:
                row.add_class("ow-inactive")
            else:
                row.remove_class("ow-inactive")

    def _sync_models(self) -> None:
        """Offer only models that fit the dataset; switch an image-only model to mlp."""
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
            self.refusals.pop("model", None)
            self._show_message("model", note_html(note) if note else "")

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

    def tab_box(
        self, tab: Tab, extra: W.Widget | None = None, *, height: str | None = PANE_HEIGHT
    ) -> W.VBox:
        """One tab's pane: its help line, its controls, ``extra`` below; ``height`` fixed
        (the pane scrolls inside it) so that switching tabs never moves what is below."""
        rows: list[W.Widget] = []
        if tab.help:
            rows.append(W.HTML(f'<div class="ow-help">{html.escape(tab.help)}</div>'))
        for c in tab.controls:
            if c.name in self.specs:
                rows.append(self.rows[c.name])
        if extra is not None:
            extra.layout.flex = "0 0 auto"  # a pane scrolls: its rows keep their height
            rows.append(extra)
        layout = W.Layout(width="auto", overflow="hidden auto")
        if height is not None:
            layout.height = height
        box = W.VBox(rows, layout=layout)
        box.add_class("ow-pane")
        return box

    def layout(
        self, extras: Mapping[str, W.Widget] | None = None, *, height: str | None = PANE_HEIGHT
    ) -> W.Tab:
        """The tabs as an ``ipywidgets.Tab`` (titles wrap onto rows in a narrow column,
        every pane the same ``height``); ``extras`` maps a tab title to a widget."""
        tabs = self.visible_tabs()
        extras = extras or {}
        tab = W.Tab(
            children=[self.tab_box(t, extras.get(t.title), height=height) for t in tabs],
            layout=W.Layout(width="auto", margin="0"),
        )
        tab.titles = tuple(t.title for t in tabs)
        tab.add_class("ow-tabs")
        return tab
