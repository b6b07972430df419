"""A model's output in every usual form reaches the kit as logits (``logits_of``), and the
Trainer, ``evaluate`` and ``lr_find`` read it so: a dict-returning model trains exactly as
the same model returning a tensor."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.models import logits_of
from optwidgets.models import registry as model_registry
from optwidgets.train.trainer import evaluate, train_step

X = torch.ones(3, 4)


class ModelOutput(OrderedDict):
    """Hugging Face's ``ModelOutput`` in small: a dict whose entries are attributes too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


LossAndLogits = namedtuple("LossAndLogits", ["loss", "logits"])


@pytest.mark.parametrize("output", [
    X,
    {"logits": X, "hidden": torch.zeros(3, 8)},
    {"scores": X, "n": 3},
    ModelOutput(loss=torch.tensor(0.5), logits=X),
    SimpleNamespace(logits=X, loss=None),
    LossAndLogits(torch.tensor(0.5), X),  # .logits, not the first element
    (X, torch.zeros(3, 8)),
    [X],
], ids=["tensor", "dict-logits", "dict-one-tensor", "hf-model-output", "object",
        "namedtuple", "tuple", "list"])
def test_every_usual_output_form_gives_the_logits_themselves(output):
    assert logits_of(output) is X


@pytest.mark.parametrize("output,name", [
    (None, "NoneType"),
    ({"a": X, "b": X}, "dict"),
    ({"logits": None}, "dict"),
    ((), "tuple"),
    (("logits", X), "tuple"),
    (SimpleNamespace(scores=X), "SimpleNamespace"),
    ("logits", "str"),
])
def test_an_output_without_logits_is_refused_naming_model_and_the_forms(output, name):
    with pytest.raises(ConfigError) as err:
        logits_of(output)
    assert err.value.field == "model" and err.value.value == name
    assert err.value.allowed == ("a module whose forward returns logits: a tensor, a dict "
                                 "with 'logits', or an object with .logits")


class DictNet(nn.Module):
    """A linear classifier on flattened input that returns ``{"logits": ..., "h": ...}``."""

    def __init__(self, n_in: int = 64, n_out: int = 10) -> None:
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(n_in, 16), nn.ReLU(),
                                  nn.Linear(16, n_out))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.body(x), "h": x.flatten(1)}


def test_train_step_and_evaluate_read_a_dict_output_as_its_tensor_twin():
    torch.manual_seed(0)
    wrapped = DictNet()
    plain = DictNet()
    plain.load_state_dict(wrapped.state_dict())
    x = torch.randn(32, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 10, (32,), generator=torch.Generator().manual_seed(2))
    seen = []

    def loss_fn(logits, inputs, targets):
        seen.append(type(logits))
        return nn.functional.cross_entropy(logits, targets)

    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (wrapped, plain)]
    for _ in range(3):
        a = train_step(wrapped, opts[0], x, y, loss_fn=loss_fn)
        b = train_step(plain.body, opts[1], x, y)
        assert torch.equal(a, b)
    assert seen == [torch.Tensor] * 3  # a loss_fn gets the logits, not the dict
    la, acc_a, pa = evaluate(wrapped, x, y)
    lb, acc_b, pb = evaluate(plain.body, x, y)
    assert (la, acc_a) == (lb, acc_b) and torch.equal(pa, pb)


def test_a_run_of_a_dict_model_matches_the_same_model_returning_a_tensor():
    cfg = ow.RunConfig(dataset="digits", model="mlp", epochs=1, device="cpu")
    torch.manual_seed(0)
    res = ow.run(cfg, model=DictNet(), store=False)
    torch.manual_seed(0)
    twin = ow.run(cfg, model=DictNet().body, store=False)
    assert res.status == twin.status == "done", res.error
    assert res.metrics == twin.metrics


def test_a_model_without_logits_fails_its_run_saying_what_to_return():
    class Features(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(64, 10)

        def forward(self, x):
            return {"a": self.lin(x.flatten(1)), "b": x}

    res = ow.run(ow.RunConfig(dataset="digits", model="mlp", epochs=1, device="cpu"),
                 model=Features(), store=False)
    assert res.status == "failed"
    assert "model='dict' is not allowed" in res.error and "a dict with 'logits'" in res.error


def test_lr_find_reads_a_registered_models_dict_output(monkeypatch):
    monkeypatch.setitem(model_registry._FACTORIES, "dict_net",
                        lambda input_shape, num_classes, **_: DictNet(64, num_classes))
    found = ow.lr_find(ow.RunConfig(dataset="digits", model="dict_net"), steps=30)
    assert len(found.curve) > 10 and found.suggestion > 0
