"""Every compression technique on models the kit did not define, through ``ow.run``.

Three architectures written here, as a user would (digits-shaped input ``(1, 8, 8)``, 10
classes): a residual convnet with BatchNorm and a skip connection, an MLP with
LayerNorm, a convnet of depthwise-separable convolutions (``groups=in_channels``); plus
the residual net returning a Hugging Face style object with ``.logits`` and the
depthwise net returning a dict. For each (model, technique) the run must finish, its
``size_bytes`` must be its saved artefact's file size and (for a compressing technique)
below the dense run's, and the store must rebuild it from a fresh instance with the same
test predictions (the very logits). A structural technique a model cannot take (no layers
for it, grouped convolutions, a forward that hard-codes the sizes pruning changes) is
refused before training, with a ConfigError naming ``prune_method`` and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.models import logits_of

# ---------------------------------------------------------------------------------------
# the models (constructor arguments kept as attributes, as scikit-learn does)


class ResidualNet(nn.Module):
    """Stem conv-BN-ReLU, one residual block (two conv-BN, identity skip), pooled head."""

    def __init__(self, width: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        self.width, self.num_classes = width, num_classes
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        x = F.relu(x + h)  # the skip connection: conv2 and the stem share their channels
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class LayerNormMLP(nn.Module):
    """Flatten, two ``Linear -> LayerNorm -> GELU`` blocks, a linear classifier."""

    def __init__(self, hidden: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.hidden, self.num_classes = hidden, num_classes
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(64, hidden), nn.LayerNorm(hidden), nn.GELU(),
            nn.Linear(hidden, hidden), nn.LayerNorm(hidden), nn.GELU(),
            nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _separable(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    """A depthwise 3x3 conv (one filter per channel) then a pointwise 1x1 conv, each BN-ReLU."""
    return [nn.Conv2d(c_in, c_in, 3, stride=stride, padding=1, groups=c_in, bias=False),
            nn.BatchNorm2d(c_in), nn.ReLU(),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class DepthwiseNet(nn.Module):
    """Stem conv, two depthwise-separable blocks (the second strided), pooled head."""

    def __init__(self, width: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        self.width, self.num_classes = width, num_classes
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            *_separable(width, 2 * width, 1), *_separable(2 * width, 2 * width, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@dataclass
class ClassifierOutput:
    """What a Hugging Face classifier returns (``ImageClassifierOutput``), in small."""

    logits: torch.Tensor
    loss: torch.Tensor | None = None


class HFStyleResidualNet(ResidualNet):
    """The residual net, returning an object with ``.logits`` (the Hugging Face way)."""

    def forward(self, x: torch.Tensor) -> ClassifierOutput:  # type: ignore[override]
        return ClassifierOutput(logits=super().forward(x))


class DictDepthwiseNet(DepthwiseNet):
    """The depthwise net, returning ``{"logits": ..., "features": ...}``."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        features = self.features(x)
        return {"logits": self.classifier(features), "features": features}


ARCHS = {"residual": ResidualNet, "layernorm-mlp": LayerNormMLP, "depthwise": DepthwiseNet,
         "hf-output": HFStyleResidualNet, "dict-output": DictDepthwiseNet}
HAS_CONV = {"residual", "depthwise", "hf-output", "dict-output"}
HAS_HIDDEN_LINEAR = {"layernorm-mlp"}

# ---------------------------------------------------------------------------------------
# the techniques (a tiny budget: two epochs of training, one of fine-tuning where it applies)

# model="cnn": the config's zoo name is not used when ow.run gets a module, but RunConfig
# refuses filter pruning for a zoo model without convolutions (the module is checked too)
BASE = ow.RunConfig(dataset="digits", model="cnn", epochs=2, lr=0.01, device="cpu", seed=0)
TECHNIQUES = {
    "weight": {"prune_method": "weight", "prune_ratio": 0.7, "finetune_epochs": 1},
    "neuron": {"prune_method": "neuron", "prune_ratio": 0.5, "finetune_epochs": 1},
    "filter": {"prune_method": "filter", "prune_ratio": 0.5, "finetune_epochs": 1},
    "lowrank": {"lowrank_rank": 0.25, "finetune_epochs": 1},
    "sim-4bit": {"quant_mode": "simulated", "quant_bits": 4},
    "int8": {"quant_mode": "int8"},
    "fp16": {"quant_mode": "fp16"},
    "bf16": {"quant_mode": "bf16"},
}


def _refusal(arch: str, technique: str) -> str | None:
    """Why a structural technique cannot run on ``arch`` (then it is refused), else None."""
    if technique == "neuron" and arch not in HAS_HIDDEN_LINEAR:
        return "without hidden Linear layers"
    if technique == "filter" and arch not in HAS_CONV:
        return "without convolutions"
    return None


# every (model, technique): about 40 s on 2 cores, so none is marked slow
CASES = [pytest.param(arch, tech, id=f"{arch}-{tech}") for arch in ARCHS for tech in TECHNIQUES]


@pytest.fixture(scope="module")
def test_inputs() -> torch.Tensor:
    return ow.runs.prepare_data(BASE).X_test


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ow.RunStore:
    return ow.RunStore(tmp_path_factory.mktemp("foreign"))


@pytest.fixture(scope="module")
def dense(store):
    """``dense(arch)``: the arch's dense run, trained once and shared by its techniques."""
    runs: dict[str, ow.RunResult] = {}

    def get(arch: str) -> ow.RunResult:
        if arch not in runs:
            torch.manual_seed(0)
            runs[arch] = ow.run(BASE, model=ARCHS[arch](), store=store)
            assert runs[arch].status == "done", runs[arch].error
        return runs[arch]

    return get


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    dtype = ow.compress.model_dtype(model)
    with torch.inference_mode():
        return logits_of(model.eval()(x.to(dtype)))


def _check_saved(res: ow.RunResult, arch: str, store: ow.RunStore, x: torch.Tensor) -> None:
    assert res.status == "done", res.error
    path = store.artefact_path(res.run_id)
    assert path is not None and res.size_bytes == path.stat().st_size
    loaded = store.load_model(res.run_id, model=ARCHS[arch]())
    ours, saved = _logits(loaded, x), _logits(res.model, x)
    assert torch.equal(ours.argmax(1), saved.argmax(1))
    assert torch.equal(ours, saved)  # the artefact promises the very logits, bit for bit


@pytest.mark.parametrize("arch", list(ARCHS))
def test_a_foreign_model_trains_and_is_stored_dense(arch, store, dense, test_inputs):
    res = dense(arch)
    _check_saved(res, arch, store, test_inputs)
    assert res.size_encoding == "dense-fp32" and res.metrics["test_acc"] > 0.5
    # rebuilt from its record alone: the class by its path, the constructor arguments
    args = {"hidden": 64} if arch == "layernorm-mlp" else {"width": 16}
    assert res.model_args == {**args, "num_classes": 10}
    assert type(store.load_model(res.run_id)) is ARCHS[arch]


@pytest.mark.parametrize(("form", "plain"), [("hf-output", "residual"),
                                             ("dict-output", "depthwise")])
def test_an_output_form_trains_exactly_as_the_same_model_returning_a_tensor(form, plain, dense):
    a, b = dense(form), dense(plain)
    assert a.metrics == b.metrics and a.size_bytes == b.size_bytes


@pytest.mark.parametrize(("arch", "technique"), CASES)
def test_every_technique_on_a_foreign_model(arch, technique, store, dense, test_inputs):
    cfg = BASE.replace(**TECHNIQUES[technique])
    why = _refusal(arch, technique)
    if why is not None:  # refused before training, naming the method and why
        with pytest.raises(ConfigError) as err:
            ow.run(cfg, model=ARCHS[arch](), store=store)
        assert err.value.field == "prune_method" and why in str(err.value)
        return
    base = dense(arch)
    torch.manual_seed(0)
    res = ow.run(cfg, model=ARCHS[arch](), store=store)
    _check_saved(res, arch, store, test_inputs)
    assert res.size_bytes < base.size_bytes, (res.size_encoding, res.size_bytes,
                                              base.size_bytes)
    assert res.metrics["test_acc"] > 0.2  # still a classifier (chance is 0.1)
    if technique in ("filter", "neuron", "lowrank"):  # (int8 folds BatchNorm: fewer too)
        assert res.params < base.params


@pytest.mark.parametrize(("arch", "prune"), [("residual", "filter"), ("depthwise", "filter"),
                                             ("layernorm-mlp", "neuron")])
def test_an_artefact_loads_into_an_unpruned_instance(arch, prune):
    """Without replaying the pruning, loading resizes the layers to the saved shapes:
    a depthwise conv keeps one group per channel, a LayerNorm its normalized shape."""
    x = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    torch.manual_seed(0)
    model = ARCHS[arch]().eval()
    step = ow.compress.prune_filters if prune == "filter" else ow.compress.prune_neurons
    step(model, 0.5, example_input=x[:1])
    loaded = ow.compress.load(ow.compress.encode(model).payload, ARCHS[arch]())
    assert torch.equal(_logits(loaded, x), _logits(model, x))
    assert ow.compress.count_params(loaded) == ow.compress.count_params(model)


def test_a_foreign_teacher_returning_a_dict_is_distilled(store, dense):
    """The teacher's dict output is read as logits by the distillation objective; a
    stored foreign teacher is rebuilt from its class and constructor arguments."""
    cfg = BASE.replace(epochs=1, distill_student="cnn_small")
    torch.manual_seed(0)
    res = ow.run(cfg, model=DictDepthwiseNet(), store=store)
    assert res.status == "done", res.error
    teacher = dense("dict-output")
    again = ow.run(cfg.replace(distill_teacher=teacher.run_id), store=store)
    assert again.status == "done", again.error
    assert again.teacher_run_id == teacher.run_id


# ---------------------------------------------------------------------------------------
# structures a structural prune cannot take: refused before training, saying why


class FixedView(nn.Module):
    """A conv net whose forward hard-codes the flattened size (8 channels * 64 pixels)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.head = nn.Linear(8 * 64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.conv(x)).view(x.size(0), 8 * 64))


class FixedHidden(nn.Module):
    """An MLP whose forward hard-codes its hidden width (32)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x.reshape(-1, 64))).reshape(-1, 32))


class GroupedConvNet(nn.Module):
    """A conv in 4 groups of 2 channels (not depthwise): single filters cannot go."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=4)
        self.head = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.grouped(F.relu(self.conv(x))))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


@pytest.mark.parametrize(("model", "method", "why"), [
    (FixedView, "filter", "FixedView's forward fails once filters are removed"),
    (FixedHidden, "neuron", "FixedHidden's forward fails once neurons are removed"),
    (GroupedConvNet, "filter", "GroupedConvNet.grouped has groups=4"),
], ids=["fixed-view", "fixed-hidden", "grouped-conv"])
def test_a_structural_prune_a_model_cannot_take_is_refused_before_training(
        tmp_path, model, method, why):
    store = ow.RunStore(tmp_path)
    with pytest.raises(ConfigError) as err:
        ow.run(BASE.replace(prune_method=method, prune_ratio=0.5), model=model(), store=store)
    assert err.value.field == "prune_method" and why in str(err.value)
    assert len(store) == 0  # nothing half-started
    weight = ow.run(BASE.replace(prune_method="weight", prune_ratio=0.5), model=model(),
                    store=store)
    assert weight.status == "done", weight.error  # what the error offers instead works
