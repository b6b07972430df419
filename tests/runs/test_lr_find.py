"""The learning-rate finder: a sane curve, its stated rule, and a suggestion a grid agrees with."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.runs.lr_find import SUGGESTION_RULE, lr_find


def test_the_curve_ramps_exponentially_and_the_suggestion_follows_the_rule():
    found = lr_find(ow.RunConfig(dataset="digits", model="mlp", epochs=1), steps=120)
    c = found.curve
    ratios = (c["lr"].to_numpy()[1:] / c["lr"].to_numpy()[:-1])
    assert np.allclose(ratios, ratios[0])  # the same factor every step
    assert c["lr"].iloc[0] == pytest.approx(1e-6)
    lowest = int(c["smoothed"].idxmin())
    assert found.min_lr == c["lr"].iloc[lowest]
    slope = np.gradient(c["smoothed"].to_numpy()[:lowest + 1], np.log(c["lr"].to_numpy()[:lowest + 1]))
    assert found.suggestion == c["lr"].iloc[int(np.argmin(slope))] < found.min_lr
    assert found.rule == SUGGESTION_RULE
    again = lr_find(ow.RunConfig(dataset="digits", model="mlp", epochs=1), steps=120)
    assert again.suggestion == found.suggestion  # seeded: the same curve


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_suggestion_is_within_a_factor_10_of_the_best_rate_of_a_grid(optimizer):
    base = ow.RunConfig(dataset="digits", model="mlp", optimizer=optimizer, epochs=3,
                        device="cpu")
    grid = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]
    scores = []
    for lr in grid:  # choose on validation accuracy, mean over two seeds
        accs = []
        for seed in (0, 1):
            res = ow.run(base.replace(lr=lr, seed=seed), store=False)
            h = res.history
            val = h[(h.split == "val") & (h.metric == "acc")]["value"]
            accs.append(val.iloc[-1] if res.status == "done" and len(val) else 0.0)  # diverged
        scores.append(np.mean(accs))
    best = grid[int(np.argmax(scores))]
    suggestion = lr_find(base).suggestion
    assert best / 10 <= suggestion <= best * 10, (suggestion, best, dict(zip(grid, scores)))


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"start_lr": 0}, "start_lr"), ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr"),
    ({"steps": 3}, "steps"), ({"beta": 1.0}, "beta"), ({"diverge": 1.0}, "diverge"),
])
def test_bad_ramp_settings_are_refused(kwargs, field):
    with pytest.raises(ConfigError) as err:
        lr_find(ow.RunConfig(dataset="xor", model="mlp"), **kwargs)
    assert err.value.field == field


def test_the_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "optwidgets", "lr-find", "--dataset", "xor",
                          "--model", "mlp", "--steps", "50", "--json"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["rule"] == SUGGESTION_RULE and len(doc["curve"]) <= 50 and doc["suggestion"] > 0
