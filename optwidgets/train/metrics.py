"""Metrics computed in torch. Classification: accuracy, macro precision / recall / F1
(scikit-learn's definitions with ``zero_division=0``) and the confusion matrix.
Regression: R², RMSE and MAE (scikit-learn's ``r2_score``, ``root_mean_squared_error``,
``mean_absolute_error``).

Example
-------
>>> import torch
>>> m = classification_metrics(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2)
>>> round(m["test_acc"], 3), m["confusion"]
(0.667, [[1, 1], [0, 1]])
"""

from __future__ import annotations

import torch

__all__ = ["confusion_matrix", "classification_metrics", "r2_score", "regression_metrics"]


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``cm[i, j]`` = samples of true class ``i`` predicted as ``j`` (int64, on CPU)."""
    idx = target.long().cpu() * num_classes + pred.long().cpu()
    return torch.bincount(idx, minlength=num_classes * num_classes).view(num_classes, num_classes)


def classification_metrics(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                           prefix: str = "test_") -> dict:
    """Accuracy (as ``{prefix}acc``), macro precision, recall and F1, and the confusion matrix."""
    cm = confusion_matrix(pred, target, num_classes).double()
    tp = cm.diag()
    predicted = cm.sum(0)
    actual = cm.sum(1)
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp(min=1), torch.zeros_like(tp))
    denom = precision + recall
    f1 = torch.where(denom > 0, 2 * precision * recall / denom.clamp(min=1e-12),
                     torch.zeros_like(tp))
    # scikit-learn's macro average runs over the labels present in target or prediction.
    present = (predicted + actual) > 0
    n = max(int(present.sum()), 1)
    return {
        f"{prefix}acc": float(tp.sum() / cm.sum().clamp(min=1)),
        "precision": float(precision[present].sum() / n),
        "recall": float(recall[present].sum() / n),
        "f1": float(f1[present].sum() / n),
        "confusion": cm.long().tolist(),
    }


def r2_score(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (1 = perfect, 0 = no better
    than predicting the mean, negative = worse); a constant target gives 1.0 if matched
    exactly, else 0.0 (scikit-learn's ``force_finite``). The same in any target units.

    Example
    -------
    >>> r2_score(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 4.0]))
    0.7857142857142857
    """
    p, t = pred.double().reshape(-1), target.double().reshape(-1)
    ss_res = float(((t - p) ** 2).sum())
    ss_tot = float(((t - t.mean()) ** 2).sum()) if len(t) else 0.0
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def regression_metrics(pred: torch.Tensor, target: torch.Tensor, *, prefix: str = "test_",
                       scale: float = 1.0) -> dict:
    """``{prefix}r2``, ``{prefix}rmse``, ``{prefix}mae`` of predictions against targets.

    ``scale`` converts RMSE and MAE back to target units when ``pred`` and ``target`` are
    standardized (the training split's std); R² does not depend on it.

    Example
    -------
    >>> m = regression_metrics(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 2.0]), scale=10)
    >>> m["test_r2"], round(m["test_rmse"], 3), m["test_mae"]
    (0.5, 7.071, 5.0)
    """
    err = pred.double().reshape(-1) - target.double().reshape(-1)
    n = max(len(err), 1)
    return {
        f"{prefix}r2": r2_score(pred, target),
        f"{prefix}rmse": float((err ** 2).sum() / n) ** 0.5 * scale,
        f"{prefix}mae": float(err.abs().sum() / n) * scale,
    }
