"""Knowledge distillation: the loss, and a sanity check on student size.

Distillation happens during training: :func:`distillation_objective` gives the
Trainer a ``loss_fn`` that runs the teacher on each batch and applies
:func:`distillation_loss`; the Trainer itself knows nothing of teachers.

Example
-------
>>> import torch
>>> from optwidgets.compress.distill import distillation_loss
>>> s, t, y = torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1])
>>> round(float(distillation_loss(s, t, y, temperature=4.0, alpha=0.5)), 4)  # 0.5 * ln 3
0.5493
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from optwidgets.compress.measure import count_params
from optwidgets.core.errors import ConfigError
from optwidgets.models.outputs import logits_of

__all__ = ["distillation_loss", "distillation_objective", "check_student_size"]


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    targets: Tensor | None,
    *,
    temperature: float,
    alpha: float,
) -> Tensor:
    """Hinton et al. (2015): ``alpha * T^2 * KL(p_t || p_s) + (1 - alpha) * CE(s, y)``.

    ``p_t = softmax(teacher / T)`` and ``p_s = softmax(student / T)``; the KL term is
    averaged over the batch and multiplied by ``T^2`` so its gradients keep the same scale
    as the cross-entropy's when ``T`` changes. The teacher's logits are detached.

    Parameters
    ----------
    student_logits, teacher_logits : Tensor
        ``(batch, classes)`` raw scores.
    targets : Tensor or None
        Class indices; may be None only when ``alpha == 1`` (pure distillation).
    temperature : float
        ``T > 0``; higher values soften both distributions.
    alpha : float
        Weight of the distillation term in ``[0, 1]``.

    Example
    -------
    >>> import torch
    >>> s = torch.tensor([[2.0, 0.0]]); t = torch.tensor([[0.0, 2.0]])
    >>> float(distillation_loss(s, t, torch.tensor([0]), temperature=1.0, alpha=0.0)) < 0.2
    True
    """
    if not temperature > 0:
        raise ConfigError("distill_temperature", temperature, "a number > 0")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError("distill_alpha", alpha, "a number in [0, 1]")
    log_ps = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_pt = F.log_softmax(teacher_logits.detach().float() / temperature, dim=-1)
    kl = F.kl_div(log_ps, log_pt, reduction="batchmean", log_target=True)
    loss = alpha * temperature**2 * kl
    if alpha < 1.0:
        if targets is None:
            raise ConfigError("distill_alpha", alpha, "1.0 when no targets are given")
        loss = loss + (1.0 - alpha) * F.cross_entropy(student_logits.float(), targets)
    return loss


def distillation_objective(teacher: nn.Module, *, temperature: float, alpha: float
                           ) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
    """A Trainer ``loss_fn(logits, inputs, targets)``: the distillation loss against
    ``teacher``'s logits on the same batch (the teacher is put in eval mode, no gradients).

    Either model may return its logits in any form :func:`~optwidgets.models.logits_of`
    reads (a tensor, a dict with ``"logits"``, an object with ``.logits``).

    Example
    -------
    >>> import torch
    >>> t = torch.nn.Linear(2, 3)
    >>> loss_fn = distillation_objective(t, temperature=2.0, alpha=0.5)
    >>> x = torch.zeros(4, 2)
    >>> float(loss_fn(t(x), x, torch.zeros(4, dtype=torch.long)).detach()) > 0
    True
    """
    teacher.eval()

    def loss_fn(logits: Tensor, inputs: Tensor, targets: Tensor) -> Tensor:
        with torch.no_grad():
            teacher_logits = logits_of(teacher(inputs))
        return distillation_loss(logits_of(logits).float(), teacher_logits.float(), targets,
                                 temperature=temperature, alpha=alpha)

    return loss_fn


def check_student_size(student: nn.Module, teacher: nn.Module) -> str | None:
    """Warn (``UserWarning`` naming ``distill_student``) when the student is not smaller.

    A student larger than its teacher is allowed -- distillation still works as a
    regularizer -- but it is rarely what a user meant. Returns the warning text, or None
    when the student has fewer parameters than the teacher.

    Example
    -------
    >>> import torch.nn as nn
    >>> check_student_size(nn.Linear(4, 2), nn.Linear(8, 2)) is None
    True
    """
    s, t = count_params(student), count_params(teacher)
    if s < t:
        return None
    msg = (f"distill_student: the student has {s:,} parameters, not fewer than the "
           f"teacher's {t:,}; distillation will not compress the model")
    warnings.warn(msg, UserWarning, stacklevel=2)
    return msg
