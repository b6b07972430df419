import dataclasses
import json
import math

import pytest

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError


def test_defaults_validate_and_round_trip_through_json():
    cfg = RunConfig()
    again = RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


def test_every_field_has_a_rule_and_a_comment():
    import inspect

    src = inspect.getsource(inspect.getmodule(RunConfig))
    for f in dataclasses.fields(RunConfig):
        RunConfig().__setattr__(f.name, getattr(RunConfig(), f.name))  # rule exists
        line = next(line for line in src.splitlines() if line.strip().startswith(f"{f.name}:"))
        assert "#" in line or f.name in ("optimizer",), f"{f.name} has no comment"


@pytest.mark.parametrize("field,value,fragment", [
    ("lr", 0, "lr=0"),
    ("lr", -1.0, "(0, 10]"),
    ("lr", math.nan, "finite"),
    ("batch_size", 0, "batch_size=0"),
    ("epochs", 0, "epochs=0"),
    ("dropout", 1.0, "[0, 1)"),
    ("dropout", -0.1, "dropout=-0.1"),
    ("prune_ratio", 1.0, "prune_ratio"),
    ("quant_bits", 1, "[2, 16]"),
    ("quant_bits", 17, "quant_bits=17"),
    ("lowrank_rank", 1.5, "whole count"),
])
def test_bad_numbers_name_field_value_and_range(field, value, fragment):
    with pytest.raises(ConfigError) as err:
        RunConfig(**{field: value})
    assert err.value.field == field
    assert fragment in str(err.value)


@pytest.mark.parametrize("field,value,suggestion", [
    ("optimizer", "adma", "adam"),
    ("schedule", "cosin", "cosine"),
    ("dataset", "digit", "digits"),
    ("model", "cn", "cnn"),
])
def test_unknown_names_suggest_the_closest(field, value, suggestion):
    with pytest.raises(ConfigError, match=f"did you mean '{suggestion}'") as err:
        RunConfig(**{field: value})
    assert err.value.field == field and err.value.value == value


def test_assignment_validates_the_field():
    cfg = RunConfig()
    cfg.lr = 0.5
    assert cfg.lr == 0.5
    with pytest.raises(ConfigError, match="lr=-2"):
        cfg.lr = -2
    assert cfg.lr == 0.5  # unchanged after a refused value
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        cfg.lrr = 0.1


def test_conv_model_on_toy_data_is_refused():
    with pytest.raises(ConfigError, match="needs image input") as err:
        RunConfig(dataset="moons", model="cnn")
    assert err.value.field == "model"
    RunConfig(dataset="moons", model="mlp")


def test_unknown_key_in_from_dict():
    with pytest.raises(ConfigError, match="did you mean 'epochs'"):
        RunConfig.from_dict({"epoch": 3})


def test_strings_from_the_cli_are_parsed():
    cfg = RunConfig(lr="0.01", epochs="3", hidden="64,32", nesterov="true", model="mlp")
    assert cfg.lr == 0.01 and cfg.epochs == 3 and cfg.hidden == (64, 32) and cfg.nesterov


def test_augment_keys_and_magnitudes():
    assert RunConfig(augment={"rotate": 15, "hflip": True}).augment == {"rotate": 15.0,
                                                                         "hflip": True}
    with pytest.raises(ConfigError, match="did you mean 'rotate'"):
        RunConfig(augment={"rotat": 10})
    with pytest.raises(ConfigError, match=r"augment\['rotate'\]=190"):
        RunConfig(augment={"rotate": 190})
    with pytest.raises(ConfigError, match=r"augment\['noise'\]=-0.1"):
        RunConfig(augment={"noise": -0.1})


def test_transfer_needs_a_source():
    with pytest.raises(ConfigError) as err:
        RunConfig(transfer="feature_extraction")
    assert err.value.field == "source"


def test_geometric_augmentation_needs_images():
    with pytest.raises(ConfigError, match="augment\\['rotate'\\]=10") as err:
        RunConfig(dataset="moons", model="mlp", augment={"rotate": 10})
    assert "no images" in str(err.value)
    RunConfig(dataset="moons", model="mlp", augment={"noise": 0.1})


def test_conv_student_on_feature_data_is_refused():
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset="moons", model="mlp", distill_student="cnn_small")
    assert err.value.field == "distill_student"
