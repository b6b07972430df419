"""Controls edit the RunConfig itself; refused values are shown and block Train."""

from __future__ import annotations

import ipywidgets as W
import pytest

import optwidgets as ow
from conftest import tiny
from optwidgets.ui import Control, Tab, register_tab, tabs, unregister_tab
from optwidgets.ui._form import ConfigForm


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


def test_every_builtin_control_edits_one_existing_field():
    names = set(ow.RunConfig.field_names())
    titles = [t.title for t in tabs()][:3]
    assert titles == ["Data & model", "Training", "Regularization"]
    for tab in tabs():
        for c in tab.controls:
            assert c.field in names, c
    expected = {
        "dataset",
        "model",
        "seed",
        "device",
        "optimizer",
        "lr",
        "batch_size",
        "epochs",
        "schedule",
        "weight_decay",
        "l1",
        "dropout",
        "patience",
        "grad_clip",
    }
    shown = {c.field for t in tabs()[:3] for c in t.controls}
    assert expected <= shown <= names


def test_refused_value_shows_message_and_disables_train(store):
    ex = ow.Explorer(tiny(), store=store)
    assert not ex.train_button.disabled
    ex.controls["epochs"].value = 0
    assert ex.config.epochs == 2  # the config keeps its last good value
    msg = ex.form.messages["epochs"].value
    assert "epochs=0 is not allowed" in msg and "#c62828" in msg
    assert ex.train_button.disabled
    assert ex.train() is False and ex.state == "invalid" and "epochs=0" in ex.status
    ex.controls["batch_size"].value = 16  # other edits still work
    assert ex.config.batch_size == 16 and ex.train_button.disabled
    ex.controls["epochs"].value = 3  # fixed: message gone, Train back
    assert ex.form.messages["epochs"].value == "" and ex.config.epochs == 3
    assert not ex.train_button.disabled


@pytest.mark.parametrize(
    "name, bad", [("grad_clip", -1.0), ("l1", 2.0), ("seed", -5), ("hidden", "8, x")]
)
def test_typed_values_outside_the_range_are_refused(store, name, bad):
    ex = ow.Explorer(tiny(), store=store)
    before = getattr(ex.config, name)
    ex.controls[name].value = bad
    assert getattr(ex.config, name) == before
    assert f"{name}=" in ex.form.messages[name].value
    assert ex.train_button.disabled


def test_assigning_a_config_updates_every_control(store):
    ex = ow.Explorer(tiny(), store=store)
    ex.controls["epochs"].value = 0  # a pending refusal is cleared by a load
    new = tiny(
        lr=5.0,
        optimizer="rmsprop",
        epochs=9,
        batch_size=100,
        dropout=0.3,
        weight_decay=0.01,
        hidden=(32, 16),
        seed=7,
        schedule="cosine",
    )
    ex.config = new
    assert ex.config is new
    c = ex.controls
    assert c["lr"].value == pytest.approx(5.0)  # outside the slider's range: range widened
    assert (c["optimizer"].value, c["epochs"].value, c["batch_size"].value) == ("rmsprop", 9, 100)
    assert (c["dropout"].value, c["weight_decay"].value, c["seed"].value) == (0.3, 0.01, 7)
    assert (c["hidden"].value, c["schedule"].value) == ("32, 16", "cosine")
    assert ex.form.errors == {} and not ex.train_button.disabled
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


def test_choices_come_from_the_registries(store):
    from optwidgets.core.devices import available_devices

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
    form.set("lr", 0.2)
    assert cfg.lr == 0.2 and form.valid
