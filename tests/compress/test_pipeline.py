import copy

import pytest
import torch
from torch import nn

from optwidgets.compress.artefact import encode
from optwidgets.compress.measure import size_bytes
from optwidgets.compress.pipeline import compress, preflight, technique_label
from optwidgets.compress.prune import is_masked, prunable_layers
from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError


class Recorder:
    """Test double for the caller's fine-tune: a few SGD steps on random data, logged."""

    def __init__(self, log):
        self.log = log

    def __call__(self, model, epochs, phase):
        self.log.append(f"{phase}:{epochs}")
        g = torch.Generator().manual_seed(len(self.log))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)  # fresh: parameters may change
        model.train()
        for _ in range(3 * epochs):
            xb = torch.randn(16, 1, 8, 8, generator=g)
            yb = torch.randint(0, 10, (16,), generator=g)
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        model.eval()
        return model


def run(model, x, **fields):
    log = []
    cfg = RunConfig(dataset="digits", model="cnn", **fields)
    out = compress(model, cfg, example_input=x, calibration=x, finetune=Recorder(log),
                   phase=log.append, device="cpu")
    return out, log


def test_order_lowrank_prune_agp_then_simulated_qat(cnn, x):
    out, log = run(cnn, x, lowrank_rank=0.5, prune_method="weight", prune_ratio=0.6,
                   prune_schedule="agp", prune_steps=3, finetune_epochs=1,
                   quant_mode="simulated", quant_bits=4, quant_activations=True, qat_epochs=2)
    assert log == ["lowrank", "finetune:1",
                   "prune", "finetune:1", "prune", "finetune:1", "prune", "finetune:1",
                   "quantize", "finetune:2"]
    assert out.technique == "lowrank+prune-weight-agp+sim-4bit-act"
    assert out.extras == {}  # sizes are the artefact's size_bytes, nothing computed aside
    m = out.model
    assert not is_masked(m) and isinstance(m.features[3], nn.Sequential)
    weights = [mod.weight for _, mod in prunable_layers(m)]
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert zeros >= 0.6 - 0.01  # masks held through fine-tuning and QAT
    assert m(x).shape == (32, 10)


def test_baseline_does_nothing(cnn, x):
    ref = copy.deepcopy(cnn.state_dict())
    out, log = run(cnn, x, finetune_epochs=3)
    assert log == [] and out.technique == "baseline" and out.extras == {}
    assert all(torch.equal(ref[k], v) for k, v in out.model.state_dict().items())


def test_zero_epochs_never_call_finetune(mlp, x):
    out, log = run(mlp, x, prune_method="neuron", prune_ratio=0.5, prune_schedule="agp",
                   prune_steps=2)
    assert log == ["prune", "prune"]
    assert out.model[1].out_features == 24 and out.model[5].out_features == 10


def test_filter_then_int8(cnn, x):
    fp32 = size_bytes(cnn)
    out, log = run(cnn, x, prune_method="filter", prune_ratio=0.5, finetune_epochs=1,
                   quant_mode="int8")
    assert log == ["prune", "finetune:1", "quantize"]
    assert out.technique == "prune-filter+int8" and out.model.int8_scheme == "static-fx"
    assert size_bytes(out.model) < 0.4 * fp32  # tiny model: per-tensor file overhead shows
    assert out.model(x).shape == (32, 10)


@pytest.mark.parametrize("mode,dtype", [("fp16", torch.float16), ("bf16", torch.bfloat16)])
def test_cast_after_weight_pruning(mlp, x, mode, dtype):
    out, _ = run(mlp, x, prune_method="weight", prune_ratio=0.5, prune_scope="global",
                 quant_mode=mode)
    assert out.model[1].weight.dtype == dtype and not is_masked(out.model)
    assert out.technique == f"prune-weight+{mode}" and out.extras == {}
    assert encode(out.model).encoding == f"csr-{mode}"  # pruned weights saved CSR at {mode}


def test_refusals_happen_before_anything_changes(mlp, x):
    ref = copy.deepcopy(mlp.state_dict())
    log = []
    cfg = RunConfig(dataset="digits", model="cnn", lowrank_rank=0.5, quant_mode="int8")
    with pytest.raises(ConfigError) as e:
        compress(mlp, cfg, example_input=x, calibration=x, finetune=Recorder(log),
                 phase=log.append, device="cuda")
    assert e.value.field == "quant_mode"
    cfg = RunConfig(dataset="digits", model="cnn", lowrank_rank=0.5, prune_method="filter",
                    prune_ratio=0.5)
    with pytest.raises(ConfigError) as e:  # a bring-your-own MLP under a "cnn" config
        compress(mlp, cfg, example_input=x, calibration=x, finetune=Recorder(log),
                 phase=log.append, device="cpu")
    assert e.value.field == "prune_method"
    assert log == []
    assert all(torch.equal(ref[k], v) for k, v in mlp.state_dict().items())


def test_technique_label():
    def label(**kw):
        return technique_label(RunConfig(dataset="digits", model="cnn", **kw))

    assert label() == "baseline"
    assert label(prune_method="weight") == "baseline"  # ratio 0 = off
    assert label(prune_method="filter", prune_ratio=0.5, quant_mode="int8") == "prune-filter+int8"
    assert label(distill_student="cnn_small", quant_mode="simulated", quant_bits=3) == \
        "distill+sim-3bit"
    assert label(lowrank_rank=4, quant_mode="bf16") == "lowrank+bf16"


def test_preflight_rehearses_structured_pruning_on_a_copy(mlp, cnn, x):
    ref = copy.deepcopy(mlp.state_dict())
    log = []
    tiny = nn.Sequential(nn.Flatten(), nn.Linear(64, 2), nn.ReLU(), nn.Linear(2, 10))
    cfg = RunConfig(dataset="digits", model="cnn", prune_method="neuron", prune_ratio=0.8,
                    lowrank_rank=0.5, finetune_epochs=2)
    with pytest.raises(ConfigError) as e:  # 2 units: round(1.6) = 2 would leave none
        compress(tiny, cfg, example_input=x, calibration=x, finetune=Recorder(log),
                 phase=log.append, device="cpu")
    assert e.value.field == "prune_ratio" and log == []
    preflight(mlp, cfg, example_input=x, device="cpu")  # fine, and the model is untouched
    assert all(torch.equal(ref[k], v) for k, v in mlp.state_dict().items())
    assert isinstance(mlp[1], nn.Linear)
    with pytest.raises(ConfigError) as e:  # the only Linear is the classifier
        preflight(cnn, cfg.replace(lowrank_rank=0.0), example_input=x, device="cpu")
    assert e.value.field == "prune_method"
    preflight(cnn, cfg.replace(prune_method="filter", quant_mode="bf16"), example_input=x,
              device="cpu")
    assert cnn.features[0].weight.dtype == torch.float32
