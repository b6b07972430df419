"""Classification metrics computed in torch: accuracy, macro precision / recall / F1
(scikit-learn's definitions with ``zero_division=0``) and the confusion matrix.

Example
-------
>>> import torch
>>> m = classification_metrics(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2)
>>> round(m["test_acc"], 3), m["confusion"]
(0.667, [[1, 1], [0, 1]])
"""

from __future__ import annotations

import torch

__all__ = ["confusion_matrix", "classification_metrics"]


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
