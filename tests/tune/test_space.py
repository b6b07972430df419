"""Search spaces and bad input: every refusal is a ConfigError naming field and value,
raised before any trial runs."""

from __future__ import annotations

import pytest

import optwidgets as ow
from optwidgets.tune import grid_size, parse_space

from .helpers import TINY


def test_dict_and_text_forms_agree():
    as_dict = parse_space(
        {
            "lr": ("log", 1e-4, 1e-1),
            "optimizer": ["adam", "sgd"],
            "epochs": ("int", 1, 5),
            "prune_ratio": ("float", 0, 0.9),
        }
    )
    as_text = parse_space(
        [
            "lr=log:1e-4:1e-1",
            "optimizer=choice:adam,sgd",
            "epochs=int:1:5",
            "prune-ratio=float:0:0.9",
        ]
    )
    assert as_dict == as_text
    lr, opt, epochs, ratio = as_dict
    assert (lr.kind, lr.low, lr.high, lr.integer) == ("log", 1e-4, 1e-1, False)
    assert opt.choices == ("adam", "sgd")
    assert epochs.integer and epochs.grid_values() == [1, 2, 3, 4, 5]
    assert ratio.grid_values() == pytest.approx([0, 0.225, 0.45, 0.675, 0.9])


def test_grid_values_log_int_and_points():
    (lr,) = parse_space({"lr": ("log", 1e-3, 1e-1, 3)})
    assert lr.grid_values() == pytest.approx([1e-3, 1e-2, 1e-1])
    (bs,) = parse_space({"batch_size": ("log", 16, 256)})  # log range on an int field
    assert bs.integer and bs.grid_values() == [16, 32, 64, 128, 256]
    assert grid_size(parse_space({"lr": "log:1e-3:1e-1:3", "optimizer": ["adam", "sgd"]})) == 6


def test_tuple_choices_round_trip_to_the_config():
    (hidden,) = parse_space({"hidden": [(8,), (16, 8)]})
    assert hidden.choices == ("8", "16,8")
    assert hidden.decode("16,8") == (16, 8)
    (text,) = parse_space(["hidden=choice:8|16,8"])
    assert TINY.replace(hidden=text.choices[1]).hidden == (16, 8)


@pytest.mark.parametrize(
    "space,field,fragment",
    [
        ({}, "space", "at least one RunConfig field"),
        ([], "space", "at least one RunConfig field"),
        ({"lr": ("log", 0.1, 0.01)}, "space['lr']", "low < high"),
        ({"lr": ("float", 0.1, 0.1)}, "space['lr']", "low < high"),
        ({"lr": ("log", 0.0, 0.1)}, "space['lr']", "low > 0 on a log scale"),
        ({"weight_decay": "log:-1:0.1"}, "space['weight_decay']", "low > 0"),
        ({"lrr": ("log", 1e-3, 1e-1)}, "space", "did you mean 'lr'"),
        ({"optimiser": ["adam"]}, "space", "did you mean 'optimizer'"),
        ({"dropout": ("float", 0.0, 1.0)}, "dropout", "dropout=1.0"),
        ({"optimizer": ["adam", "adamm"]}, "optimizer", "did you mean 'adam'"),
        ({"epochs": ("float", 1, 3)}, "space['epochs']", "integer"),
        ({"lr": ("cube", 1, 2)}, "space['lr']", "('log', low, high)"),
        ({"lr": "log:1e-3"}, "space['lr']", "log:low:high"),
        ({"optimizer": []}, "space['optimizer']", "at least one choice"),
    ],
)
def test_bad_spaces_are_refused_naming_the_field(space, field, fragment):
    with pytest.raises(ow.ConfigError) as err:
        parse_space(space, TINY)
    assert err.value.field == field
    assert fragment in str(err.value)


def test_bad_search_settings_refused_before_any_run(store):
    space = {"lr": ("log", 1e-3, 1e-1)}
    cases = [
        (dict(method="randm", n_trials=2), "method", "did you mean 'random'"),
        (dict(method="random"), "n_trials", "a number of trials"),
        (dict(method="random", n_trials=0), "n_trials", ">= 1"),
        (
            dict(method="random", n_trials=2, objectives=("test_accuracy",)),
            "objectives",
            "did you mean 'test_acc'",
        ),
        (dict(method="random", n_trials=2, executor="ray"), "executor", "'dask'"),
        (
            dict(method="random", n_trials=2, dask_address="tcp://127.0.0.1:8786"),
            "executor",
            "'dask' when dask_address",
        ),
        (dict(method="random", n_trials=2, n_workers=0), "n_workers", ">= 1"),
        (dict(method="random", n_trials=2, timeout=-1), "timeout", "> 0"),
        (
            dict(
                method="evolution",
                n_trials=2,
                objectives=("test_acc", "size_bytes"),
                sampler="cmaes",
            ),
            "sampler",
            "several objectives",
        ),
        (
            dict(
                method="random", n_trials=2, objectives=("test_acc", "size_bytes"), pruner=object()
            ),
            "pruner",
            "multi-objective",
        ),
    ]
    for kwargs, field, fragment in cases:
        with pytest.raises(ow.ConfigError) as err:
            ow.search(TINY, space=space, store=store, **kwargs)
        assert err.value.field == field, kwargs
        assert fragment in str(err.value), (kwargs, str(err.value))
    assert len(store) == 0  # nothing half-started


def test_large_grid_needs_a_budget_and_says_how_large(store):
    space = {
        "lr": ("log", 1e-4, 1e-1, 10),
        "weight_decay": ("log", 1e-6, 1e-2, 10),
        "dropout": ("float", 0.0, 0.5, 11),
    }
    with pytest.raises(ow.ConfigError) as err:
        ow.search(TINY, space=space, method="grid", store=store)
    assert err.value.field == "n_trials"
    assert "1,100 points" in str(err.value)
    assert len(store) == 0
