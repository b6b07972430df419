"""Controls edit the RunConfig itself; refused values are named next to the control and
never reach the config; controls that do not apply are disabled with the reason."""

from __future__ import annotations

import ipywidgets as W
import pytest

import optwidgets as ow
from optwidgets.core.devices import available_devices
from optwidgets.ui import Control, Tab, register_tab, tabs, unregister_tab
from optwidgets.ui._form import GUARDED, ConfigForm, GuardedDropdown

from .helpers import tiny


def values(dropdown) -> list:
    return [v for _, v in dropdown.options]


def test_config_is_the_object_and_controls_edit_its_fields(store):
    cfg = tiny()
    ex = ow.Explorer(cfg, store=store)
    assert ex.config is cfg
    assert isinstance(ex.controls["lr"], W.FloatLogSlider)  # learning rate on a log slider
    ex.controls["lr"].value = 0.05
    ex.controls["optimizer"].value = "sgd"
    ex.controls["epochs"].value = 7
    ex.controls["hidden"].value = "16, 4"
    ex.controls["dropout"].value = 0.25
    assert (cfg.lr, cfg.optimizer, cfg.epochs, cfg.hidden, cfg.dropout) == (
        0.05,
        "sgd",
        7,
        (16, 4),
        0.25,
    )
    assert ex.form.boxes["lr"].value == 0.05  # the slider's typed box follows
    ex.form.boxes["dropout"].value = 0.4  # and typing in the box moves the slider
    assert cfg.dropout == 0.4 and ex.controls["dropout"].value == 0.4


def test_every_builtin_control_edits_one_existing_field():
    names = set(ow.RunConfig.field_names())
    titles = [t.title for t in tabs()][:3]
    assert titles == ["Data & model", "Training", "Regularization"]
    for tab in tabs():
        for c in tab.controls:
            assert c.field in names, c
    expected = {
        "dataset", "model", "seed", "device", "optimizer", "lr", "batch_size", "epochs",
        "schedule", "weight_decay", "l1", "dropout", "patience", "grad_clip",
    }  # fmt: skip
    shown = {c.field for t in tabs()[:3] for c in t.controls}
    assert expected <= shown <= names


def test_every_control_is_a_guarded_widget(explorer):
    for name, w in explorer.controls.items():
        assert isinstance(w, GUARDED), name
    sliders = [n for n, c in explorer.form.specs.items() if "slider" in c.kind]
    assert sliders and set(sliders) == set(explorer.form.boxes)
    assert all(not explorer.controls[n].readout for n in sliders)  # typed in the box


@pytest.mark.parametrize(
    "name, typed, expected",
    [
        ("lr", -1.0, "lr=-1.0 is not allowed: expected a number in (0, 10]"),
        ("dropout", 5.0, "dropout=5.0 is not allowed: expected a number in [0, 1)"),
        ("prune_ratio", 1.0, "prune_ratio=1.0 is not allowed: expected a number in [0, 1)"),
        ("quant_bits", 33, "quant_bits=33 is not allowed: expected an integer in [2, 16]"),
    ],
)
def test_a_typed_value_out_of_range_is_refused_not_clamped(explorer, name, typed, expected):
    before = getattr(explorer.config, name)
    slider, box = explorer.controls[name], explorer.form.boxes[name]
    box.value = typed  # what the browser sends when the value is typed in the box
    assert getattr(explorer.config, name) == before  # the config stays as it was
    assert box.value == before and slider.value == before  # and so do the widgets
    msg = explorer.form.messages[name]
    assert expected in msg.value and f"kept {before!r}" in msg.value
    assert msg.layout.display != "none"  # shown next to the control
    slider.value = typed  # from code: refused the same way, never clamped
    assert getattr(explorer.config, name) == before and slider.value == before
    assert explorer.form.valid and not explorer.train_button.disabled  # nothing half-set
    good = 0.25 if name != "quant_bits" else 4
    box.value = good  # a good value clears the message
    assert getattr(explorer.config, name) == good and msg.value == ""


def test_a_typed_value_the_slider_cannot_show_widens_it(explorer):
    explorer.form.boxes["lr"].value = 2e-6  # allowed by RunConfig, below the slider
    assert explorer.config.lr == 2e-6 and explorer.controls["lr"].value == pytest.approx(2e-6)
    assert explorer.controls["lr"].min <= -5.6


@pytest.mark.parametrize(
    "name, bad", [("grad_clip", -1.0), ("l1", 2.0), ("seed", -5), ("hidden", "8, x"), ("epochs", 0)]
)
def test_typed_values_outside_the_range_are_refused(store, name, bad):
    ex = ow.Explorer(tiny(), store=store)
    before = getattr(ex.config, name)
    ex.controls[name].value = bad
    assert getattr(ex.config, name) == before
    assert f"{name}=" in ex.form.messages[name].value
    assert ex.form.set(name, bad) is False  # the same through the form, no exception
    assert ex.train(block=True) and ex.last_result.config == ex.config.replace()


def test_a_bad_dropdown_value_names_the_field_and_the_choices(explorer):
    w = explorer.controls["optimizer"]
    w.value = "adamm"  # no TraitError ("Invalid selection: value not found")
    assert explorer.config.optimizer == "adam" and w.value == "adam"
    msg = explorer.form.messages["optimizer"].value
    assert "optimizer=&#x27;adamm&#x27; is not allowed" in msg and "&#x27;sgd&#x27;" in msg
    explorer.controls["batch_size"].value = 100  # a good value that is not a choice: offered
    assert explorer.config.batch_size == 100 and 100 in values(explorer.controls["batch_size"])
    plain = GuardedDropdown(options=["a", "b"], value="a", description="kind")
    with pytest.raises(Exception, match="kind='c' is not one of 'a', 'b'"):
        plain.value = "c"  # without a form behind it: a message that names the choices


def test_controls_that_do_not_apply_are_disabled_with_the_reason(explorer):
    c, form = explorer.controls, explorer.form
    assert explorer.config.quant_mode == "none"
    for name in ("quant_bits", "quant_activations", "qat_epochs", "prune_ratio", "distill_alpha"):
        assert c[name].disabled, name
    assert "applies only with quant_mode='simulated'" in c["quant_bits"].tooltip
    assert form.boxes["quant_bits"].disabled  # the typed box too
    assert "ow-inactive" in form.rows["quant_bits"]._dom_classes
    c["quant_mode"].value = "int8"
    assert c["quant_bits"].disabled  # bits with int8: still off
    c["quant_mode"].value = "simulated"
    assert not c["quant_bits"].disabled and not c["qat_epochs"].disabled
    assert c["quant_bits"].tooltip == form.specs["quant_bits"].help
    assert "ow-inactive" not in form.rows["quant_bits"]._dom_classes
    c["prune_method"].value = "weight"
    assert not c["prune_ratio"].disabled and c["prune_scope"].disabled  # ratio still 0
    c["prune_ratio"].value = 0.5
    assert not c["prune_scope"].disabled and not c["finetune_epochs"].disabled


def test_a_setting_that_does_not_apply_is_not_sent_to_the_run(explorer):
    explorer.controls["quant_mode"].value = "simulated"
    explorer.controls["quant_bits"].value = 4
    explorer.controls["quant_mode"].value = "int8"  # bits now off (kept in the control)
    assert explorer.config.quant_bits == 4 and explorer.controls["quant_bits"].disabled
    explorer.controls["quant_mode"].value = "none"
    assert explorer.train(block=True)
    assert explorer.state == "done", explorer.status  # not refused for an unused setting
    assert explorer.last_result.config.quant_bits == ow.RunConfig().quant_bits


def test_assigning_a_config_updates_every_control(store):
    ex = ow.Explorer(tiny(), store=store)
    ex.controls["epochs"].value = 0  # a refusal message is cleared by a load
    new = tiny(
        lr=5.0, optimizer="rmsprop", epochs=9, batch_size=100, dropout=0.3,
        weight_decay=0.01, hidden=(32, 16), seed=7, schedule="cosine",
    )  # fmt: skip
    ex.config = new
    assert ex.config is new
    c = ex.controls
    assert c["lr"].value == pytest.approx(5.0)  # outside the slider's range: range widened
    assert (c["optimizer"].value, c["epochs"].value, c["batch_size"].value) == ("rmsprop", 9, 100)
    assert (c["dropout"].value, c["weight_decay"].value, c["seed"].value) == (0.3, 0.01, 7)
    assert (c["hidden"].value, c["schedule"].value) == ("32, 16", "cosine")
    assert ex.form.refusals == {} and ex.form.messages["epochs"].value == ""
    assert not ex.train_button.disabled
    assert new.lr == 5.0  # loading did not clamp anything back into the config
    with pytest.raises(ow.ConfigError):
        ex.config = {"lr": 0.1}


def test_non_image_dataset_switches_an_image_model_with_a_note(store):
    ex = ow.Explorer(ow.RunConfig(dataset="digits", model="cnn"), store=store)
    assert "cnn" in values(ex.controls["model"])
    ex.controls["dataset"].value = "spiral"
    assert ex.config.model == "mlp" and ex.config.dataset == "spiral"
    assert "needs image input" in ex.form.messages["model"].value
    assert "cnn" not in values(ex.controls["model"])
    assert ex.form.valid and not ex.train_button.disabled
    ex.controls["dataset"].value = "digits"
    assert "cnn" in values(ex.controls["model"])


def test_a_check_across_fields_blocks_train(store):
    ex = ow.Explorer(ow.RunConfig(dataset="digits", model="mlp"), store=store)
    ex.controls["augment.rotate"].value = 10
    ex.controls["dataset"].value = "moons"  # geometric augmentation on feature vectors
    assert not ex.form.valid and ex.train_button.disabled
    assert "fix first" in ex.train_button.tooltip
    assert ex.train() is False and ex.state == "invalid"


def test_choices_come_from_the_registries(store):
    ex = ow.Explorer(tiny(), store=store)
    assert values(ex.controls["dataset"]) == ow.data.dataset_names()
    assert values(ex.controls["device"]) == ["auto", *available_devices()]


def test_control_specs_are_checked():
    with pytest.raises(ow.ConfigError, match="learning_rate"):
        Control("learning_rate", "log_slider", min=1e-4, max=1)
    with pytest.raises(ow.ConfigError, match="kind"):
        Control("lr", "knob")
    with pytest.raises(ow.ConfigError):
        Control("lr", "log_slider")  # no range


def test_a_registered_tab_plugs_in_and_keyed_controls_edit_a_dict_field(store):
    tab = Tab(
        "Augmentation (test)",
        order=45,
        controls=[
            Control("augment", "slider", "rotate", key="rotate", min=0, max=45, step=5),
            Control("augment", "checkbox", "flip", key="hflip"),
        ],
    )
    register_tab(tab)
    try:
        ex = ow.Explorer(ow.RunConfig(dataset="digits", model="mlp"), store=store)
        assert "Augmentation (test)" in ex.form.layout().titles
        ex.controls["augment.rotate"].value = 15
        ex.controls["augment.hflip"].value = True
        assert ex.config.augment == {"rotate": 15.0, "hflip": True}
        ex.controls["augment.rotate"].value = 0  # 0 = off: the key goes away
        assert ex.config.augment == {"hflip": True}
        ex.config = ow.RunConfig(dataset="digits", model="mlp", augment={"rotate": 30})
        assert ex.controls["augment.rotate"].value == 30
        assert ex.controls["augment.hflip"].value is False
    finally:
        unregister_tab(tab.title)
    assert "Augmentation (test)" not in [t.title for t in tabs()]


def test_classroom_show_and_lock(store):
    ex = ow.Explorer(tiny(), show=["lr", "optimizer"], lock={"epochs": 3}, store=store)
    assert sorted(ex.controls) == ["epochs", "lr", "optimizer"]
    assert ex.controls["epochs"].disabled and ex.controls["epochs"].value == 3
    assert "locked" in ex.controls["epochs"].tooltip
    assert ex.config.epochs == 3
    assert [t.title for t in ex.form.visible_tabs()] == ["Training"]  # empty tabs hidden
    ex.config = tiny(epochs=8, lr=0.2)  # loading keeps the locked value
    assert ex.config.epochs == 3 and ex.config.lr == 0.2
    quiet = ow.Explorer(tiny(), show=["lr"], lock={"n_samples": 300}, store=store)
    assert sorted(quiet.controls) == ["lr"] and quiet.config.n_samples == 300
    quiet.config = tiny(n_samples=900)
    assert quiet.config.n_samples == 300
    with pytest.raises(ow.ConfigError, match="lrr"):
        ow.Explorer(tiny(), show=["lrr"], store=store)
    with pytest.raises(ow.ConfigError, match="epochs"):
        ow.Explorer(tiny(), lock={"epochs": 0}, store=store)


def test_presets(store):
    ex = ow.Explorer(preset="first_steps", store=store)
    assert sorted(ex.controls) == ["epochs", "lr", "optimizer"]
    assert ex.config.dataset == "moons" and ex.tradeoff is None and ex.boundary is not None
    full = ow.Explorer(preset="full", store=store)
    assert len(full.controls) >= 14 and full.tradeoff is not None
    with pytest.raises(ow.ConfigError, match="first_steps"):
        ow.Explorer(preset="first_step", store=store)


def test_form_works_without_an_explorer():
    cfg = tiny()
    form = ConfigForm(cfg, tabs())
    assert form.set("lr", 0.2) is True
    assert cfg.lr == 0.2 and form.valid
    assert form.set("lr", 20.0) is False and cfg.lr == 0.2


def test_tab_panes_have_one_fixed_height(explorer):
    tab = explorer.form.layout()
    heights = {child.layout.height for child in tab.children}
    assert len(heights) == 1 and heights != {None}
