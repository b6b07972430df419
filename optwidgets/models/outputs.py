"""A model's output, in any usual form, to the logits the kit computes losses and accuracy on.

Models of your own need not return a bare tensor: a Hugging Face model returns an object
with ``.logits`` (a ``ModelOutput``, which is also a dict), others a dict or a tuple whose
first element is the logits. :func:`logits_of` is the one place that reads them; the
Trainer's loss, ``evaluate``, distillation (teacher and student), ``lr_find`` and the
compression steps that trace or compare outputs all call it. A bare tensor is returned at
once (the hot loop checks ``isinstance(out, torch.Tensor)`` itself and calls this only
otherwise).

Example
-------
>>> import torch
>>> from optwidgets.models import logits_of
>>> logits_of({"logits": torch.zeros(2, 3)}).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from typing import Any

import torch

from optwidgets.core.errors import ConfigError

__all__ = ["logits_of"]


def logits_of(output: Any) -> torch.Tensor:
    """The logits in a model's ``output``: a tensor as it is; else the tensor found in it.

    In this order: a tensor; a dict (a Hugging Face ``ModelOutput`` is one) with a
    ``"logits"`` entry, or with exactly one tensor value; an object with a tensor
    attribute ``.logits``; a tuple or list whose first element is a tensor. Anything else
    raises ``ConfigError`` naming ``model``, the output's type and what is allowed.

    (It names only ``torch`` and ``ConfigError``, so a plain script can carry its source.)

    Example
    -------
    >>> from types import SimpleNamespace
    >>> x = torch.ones(2, 3)
    >>> [logits_of(out) is x for out in (x, {"logits": x, "loss": 0}, {"scores": x},
    ...                                  SimpleNamespace(logits=x), (x, None))]
    [True, True, True, True, True]
    >>> try:
    ...     logits_of({"a": x, "b": x})
    ... except ConfigError as err:
    ...     print(err.field, err.value)
    model dict
    """
    if isinstance(output, torch.Tensor):
        return output
    found, what = None, ""
    if isinstance(output, dict):
        if "logits" in output:
            found, what = output["logits"], "its 'logits' entry is not a tensor"
        else:
            tensors = [v for v in output.values() if isinstance(v, torch.Tensor)]
            found = tensors[0] if len(tensors) == 1 else None
            what = (f"it has no 'logits' key and {len(tensors)} tensor values "
                    f"(keys {sorted(map(str, output))[:6]})")
    elif isinstance(getattr(output, "logits", None), torch.Tensor):
        found = output.logits
    elif isinstance(output, (tuple, list)):
        found = output[0] if output else None
        what = "its first element is not a tensor" if output else "it is empty"
    else:
        what = "it is no tensor and has no tensor .logits"
    if isinstance(found, torch.Tensor):
        return found
    raise ConfigError("model", type(output).__name__,
                      "a module whose forward returns logits: a tensor, a dict with "
                      "'logits', or an object with .logits", f"the forward's output: {what}")
