"""Preprocessing: statistics from the training split only, per feature or per channel."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from optwidgets.config import PREPROCESS
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import PREPROCESSORS, Preprocessor, fit_preprocessor, load_dataset


def test_names_match_runconfig():
    assert PREPROCESSORS == PREPROCESS


@pytest.mark.parametrize("kind, reference", [
    ("minmax", lambda a: (a.min(0), a.max(0) - a.min(0))),
    ("standardize", lambda a: (a.mean(0), a.std(0))),
    ("robust", lambda a: (np.median(a, 0),
                          np.percentile(a, 75, 0) - np.percentile(a, 25, 0))),
])
def test_tabular_statistics_match_numpy(kind, reference):
    X = torch.randn(200, 4, generator=torch.Generator().manual_seed(0)) * torch.tensor(
        [1.0, 10.0, 0.1, 3.0]) + 5
    p = fit_preprocessor(kind, X, image=False)
    shift, scale = reference(X.double().numpy())
    np.testing.assert_allclose(p.shift_.numpy(), shift, rtol=1e-5)
    np.testing.assert_allclose(p.scale_.numpy(), scale, rtol=1e-5)
    np.testing.assert_allclose(p.transform(X).numpy(), ((X.double().numpy() - shift) / scale),
                               rtol=1e-4, atol=1e-5)


def test_standardize_gives_zero_mean_unit_std_on_train():
    ds = load_dataset("gaussians", n_samples=300)
    Z = fit_preprocessor("standardize", ds.X_train, image=False).transform(ds.X_train)
    assert torch.allclose(Z.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(Z.std(0, correction=0), torch.ones(2), atol=1e-4)


def test_image_statistics_are_per_channel():
    X = torch.rand(50, 3, 4, 4) * torch.tensor([1.0, 2.0, 4.0])[None, :, None, None]
    p = fit_preprocessor("minmax", X, image=True)
    assert p.shift_.shape == (3,) and p.scale_.shape == (3,)
    for c in range(3):
        assert p.shift_[c] == X[:, c].min() and torch.isclose(p.scale_[c], X[:, c].max() -
                                                              X[:, c].min())
    Z = p.transform(X)
    assert Z.shape == X.shape and float(Z.min()) == 0.0 and abs(float(Z.max()) - 1) < 1e-6


def test_no_leakage():
    ds = load_dataset("digits", seed=0)
    for kind in ("minmax", "standardize", "robust"):
        p = fit_preprocessor(kind, ds.X_train, image=True)
        alone = fit_preprocessor(kind, ds.X_train.clone(), image=True)
        assert torch.equal(p.shift_, alone.shift_) and torch.equal(p.scale_, alone.scale_)
        # fitting does not look at val/test: changing them changes nothing
        ds.X_val.mul_(100).add_(7)
        ds.X_test.zero_()
        again = fit_preprocessor(kind, ds.X_train, image=True)
        assert torch.equal(p.shift_, again.shift_) and torch.equal(p.scale_, again.scale_)
    # and the stats really are the training split's: train is not all of the data
    train_mean = ds.X_train.mean().item()
    full = torch.cat([ds.X_train, load_dataset("digits", seed=0).X_test])
    assert fit_preprocessor("standardize", ds.X_train, image=True).shift_.item() == \
        pytest.approx(train_mean, abs=1e-6) != pytest.approx(full.mean().item(), abs=1e-6)


def test_constant_feature_guarded():
    X = torch.tensor([[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]])
    for kind in ("minmax", "standardize", "robust"):
        p = fit_preprocessor(kind, X, image=False)
        assert p.scale_[1] == 1.0
        Z = p.transform(X)
        assert torch.isfinite(Z).all() and torch.equal(Z[:, 1], torch.zeros(3))


def test_none_is_identity():
    X = torch.randn(5, 3)
    p = fit_preprocessor("none", X, image=False)
    assert p.transform(X) is X and p.state_dict()["kind"] == "none"


def test_state_dict_round_trip_and_json_safe():
    p = fit_preprocessor("robust", torch.rand(30, 2, 3, 3), image=True)
    state = json.loads(json.dumps(p.state_dict()))
    q = Preprocessor.from_state_dict(state)
    X = torch.rand(4, 2, 3, 3)
    assert torch.equal(q.transform(X), p.transform(X)) and q.image


def test_transform_keeps_dtype():
    p = fit_preprocessor("standardize", torch.rand(20, 3), image=False)
    X = torch.rand(4, 3, dtype=torch.float64)
    assert p.transform(X).dtype == torch.float64


def test_refusals():
    with pytest.raises(ConfigError, match="did you mean 'robust'"):
        fit_preprocessor("robst", torch.rand(4, 2), image=False)
    with pytest.raises(DataError, match="image=True"):
        fit_preprocessor("minmax", torch.rand(4, 2), image=True)
    with pytest.raises(DataError, match="image=False"):
        fit_preprocessor("minmax", torch.rand(4, 1, 2, 2), image=False)
    with pytest.raises(ConfigError, match="X_train"):
        fit_preprocessor("minmax", torch.ones(4, 2, dtype=torch.long), image=False)
    p = fit_preprocessor("minmax", torch.rand(4, 2), image=False)
    with pytest.raises(DataError, match="2 features"):
        p.transform(torch.rand(4, 3))
