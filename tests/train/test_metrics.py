import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_cm
from sklearn.metrics import f1_score, precision_score, recall_score

from optwidgets.train.metrics import classification_metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, 200)
    p = np.where(rng.random(200) < 0.6, y, rng.integers(0, 5, 200))
    p[p == 4] = 3  # a class never predicted: zero_division=0
    m = classification_metrics(torch.tensor(p), torch.tensor(y), 5)
    assert m["test_acc"] == pytest.approx((p == y).mean())
    for key, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        assert m[key] == pytest.approx(fn(y, p, average="macro", zero_division=0))
    assert m["confusion"] == sk_cm(y, p, labels=range(5)).tolist()
