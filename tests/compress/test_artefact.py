"""Every technique's deployable artefact: saved to a file, rebuilt from a fresh model, loaded,
and predicting exactly what the model it came from predicted; and its bytes shrink."""

from __future__ import annotations

import copy
import io

import pytest
import torch
from torch import nn

import optwidgets as ow
from optwidgets.compress.artefact import FORMAT, Artefact, _pack, _unpack, encode, load, read
from optwidgets.compress.measure import measure, model_dtype, size_bytes
from optwidgets.compress.pipeline import compress, load_deployed, rebuild
from optwidgets.compress.prune import prune_weights
from optwidgets.compress.quantize import freeze, simulate_quantization
from optwidgets.config import RunConfig
from optwidgets.runs.prepare import build_model_for, prepare_data


@pytest.fixture(scope="module")
def digits():
    return prepare_data(RunConfig(dataset="digits", model="cnn", seed=0))


def _noop(model, epochs, phase):
    return model


def _deploy(cfg: RunConfig, data) -> nn.Module:
    """``compress()`` of a seeded model of ``cfg`` (untrained: exactness is what counts)."""
    torch.manual_seed(0)
    model = build_model_for(cfg, data.input_shape, data.num_classes).eval()
    with torch.no_grad():  # BatchNorm statistics that are not the defaults
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    out = compress(model, cfg, example_input=data.X_train[:8], calibration=data.X_train[:256],
                   finetune=_noop, phase=lambda p: None, device="cpu")
    return out.model.eval()


def _reload(cfg: RunConfig, data, path) -> nn.Module:
    """Exactly what the run store does: a fresh model of the config, rebuilt, loaded."""
    fresh = build_model_for(cfg.replace(seed=cfg.seed + 11), data.input_shape, data.num_classes)
    return load_deployed(path, fresh, cfg, torch.zeros(1, *data.input_shape))


CASES = {  # technique -> (RunConfig fields, expected encoding)
    "dense-fp32": (dict(), "dense-fp32"),
    "fp16": (dict(quant_mode="fp16"), "dense-fp16"),
    "bf16": (dict(quant_mode="bf16"), "dense-bf16"),
    "weight-prune": (dict(prune_method="weight", prune_ratio=0.7), "csr"),
    "weight-prune-global-agp": (dict(prune_method="weight", prune_ratio=0.7,
                                     prune_scope="global", prune_schedule="agp",
                                     prune_steps=3), "csr"),
    "neuron-prune": (dict(model="mlp", hidden=(64, 32), prune_method="neuron",
                          prune_ratio=0.5), "dense-fp32"),
    "filter-prune": (dict(prune_method="filter", prune_ratio=0.5), "dense-fp32"),
    "filter-prune-agp": (dict(prune_method="filter", prune_ratio=0.6, prune_schedule="agp",
                              prune_steps=2), "dense-fp32"),
    "lowrank": (dict(lowrank_rank=0.5), "dense-fp32"),
    "sim-2bit": (dict(quant_mode="simulated", quant_bits=2), "packed-2bit"),
    "sim-4bit": (dict(quant_mode="simulated", quant_bits=4), "packed-4bit"),
    "sim-8bit": (dict(quant_mode="simulated", quant_bits=8), "packed-8bit"),
    "sim-3bit-act": (dict(quant_mode="simulated", quant_bits=3, quant_activations=True),
                     "packed-3bit"),
    "sim-8bit-act": (dict(quant_mode="simulated", quant_bits=8, quant_activations=True),
                     "packed-8bit"),
    "sim-16bit": (dict(quant_mode="simulated", quant_bits=16), "packed-16bit"),
    "int8": (dict(quant_mode="int8"), "int8"),
    "mlp-int8": (dict(model="mlp", quant_mode="int8"), "int8"),
    # compositions
    "filter+int8": (dict(prune_method="filter", prune_ratio=0.5, quant_mode="int8"), "int8"),
    "weight+int8": (dict(prune_method="weight", prune_ratio=0.9, quant_mode="int8"),
                    "csr+int8"),
    "weight+sim-4bit": (dict(prune_method="weight", prune_ratio=0.8, quant_mode="simulated",
                             quant_bits=4), "csr+packed-4bit"),
    "weight+fp16": (dict(prune_method="weight", prune_ratio=0.8, quant_mode="fp16"),
                    "csr-fp16"),
    "lowrank+sim-8bit": (dict(lowrank_rank=0.5, quant_mode="simulated", quant_bits=8),
                         "packed-8bit"),
    "lowrank+filter+sim-4bit-act": (dict(lowrank_rank=0.5, prune_method="filter",
                                         prune_ratio=0.5, quant_mode="simulated",
                                         quant_bits=4, quant_activations=True),
                                    "packed-4bit"),
    "neuron+bf16": (dict(model="mlp", prune_method="neuron", prune_ratio=0.5,
                         quant_mode="bf16"), "dense-bf16"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_saved_file_rebuilt_and_loaded_predicts_identically(case, digits, tmp_path):
    fields, encoding = CASES[case]
    cfg = RunConfig(**{"dataset": "digits", "model": "cnn", "seed": 0, **fields})
    deployed = _deploy(cfg, digits)
    art = encode(deployed)
    assert art.encoding == encoding
    path = art.save(tmp_path / f"{case}.pt")
    assert path.stat().st_size == art.nbytes == size_bytes(deployed)
    back = _reload(cfg, digits, path)
    x = digits.X_test.to(model_dtype(deployed))
    with torch.inference_mode():
        want, got = deployed(x), back(x)
    assert torch.equal(got, want)  # the same logits, bit for bit
    assert torch.equal(got.argmax(1), want.argmax(1))
    assert not back.training and type(back).__name__ == type(deployed).__name__


def test_a_fresh_model_alone_predicts_otherwise(digits, tmp_path):
    """The equality above is the artefact's doing: a rebuilt but unloaded model differs."""
    cfg = RunConfig(dataset="digits", model="cnn", seed=0, quant_mode="simulated", quant_bits=4)
    deployed = _deploy(cfg, digits)
    fresh = build_model_for(cfg.replace(seed=11), digits.input_shape, digits.num_classes)
    skeleton = rebuild(fresh, cfg, example_input=torch.zeros(1, *digits.input_shape))
    with torch.inference_mode():
        assert not torch.equal(skeleton(digits.X_test), deployed(digits.X_test))


def test_payload_is_plain_data_weights_only_loading_reads(digits):
    cfg = RunConfig(dataset="digits", model="cnn", prune_method="weight", prune_ratio=0.8,
                    quant_mode="simulated", quant_bits=4)
    art = encode(_deploy(cfg, digits), meta={"technique": "prune-weight+sim-4bit"})
    obj = torch.load(io.BytesIO(art.payload), weights_only=True)
    assert obj["format"] == FORMAT and obj["version"] == 1
    assert obj["encoding"] == art.encoding == "csr+packed-4bit"
    assert obj["meta"] == art.meta and art.meta["technique"] == "prune-weight+sim-4bit"
    assert obj["dense_bytes"] == art.dense_bytes
    kinds = {e["kind"] for e in obj["entries"].values()}
    assert {"packed", "csr", "dense"} <= kinds  # each weight got whichever was smaller
    assert all(t.dim() == 1 for t in obj["data"].values())  # one flat record per dtype
    assert set(obj["data"]) <= {"float32", "uint8", "int16", "int64", "bool"}
    assert read(art.payload) == art


def test_dense_bytes_is_the_same_model_saved_dense_fp32(digits):
    cfg = RunConfig(dataset="digits", model="cnn")
    dense = _deploy(cfg, digits)
    plain = encode(dense)
    assert plain.dense_bytes == plain.nbytes
    for fields in (dict(quant_mode="bf16"), dict(prune_method="weight", prune_ratio=0.8)):
        art = encode(_deploy(cfg.replace(**fields), digits))
        assert art.dense_bytes == plain.nbytes and art.nbytes < plain.nbytes
    # int8: dequantized weights, BatchNorm folded away by the conversion: a bit smaller
    art = encode(_deploy(cfg.replace(quant_mode="int8"), digits))
    assert 0.9 * plain.nbytes < art.dense_bytes < plain.nbytes
    assert art.nbytes < 0.3 * art.dense_bytes


@pytest.mark.parametrize("bits", range(2, 17))
def test_bit_packing_round_trips_and_takes_bits_over_8_bytes(bits):
    g = torch.Generator().manual_seed(bits)
    for n in (1, 7, 8, 1000):
        v = torch.randint(0, 2**bits, (n,), generator=g)
        packed = _pack(v, bits)
        assert packed.dtype == torch.uint8 and packed.numel() == -(-n * bits // 8)
        assert torch.equal(_unpack(packed, bits, n), v.to(torch.int32))


def test_packed_size_falls_with_bits():
    torch.manual_seed(0)
    make = lambda: nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))  # noqa: E731
    sizes = [encode(make()).nbytes]
    for bits in (16, 8, 4, 3, 2):
        sizes.append(encode(freeze(simulate_quantization(make(), bits))).nbytes)
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    # 2 bits: 66,560 weights in 16.6 kB, plus 266 fp32 scales and the biases
    assert sizes[-1] < 0.08 * sizes[0]


def test_unfrozen_simulated_model_saves_the_same_codes():
    torch.manual_seed(0)
    sim = simulate_quantization(nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4)), 4)
    frozen = freeze(copy.deepcopy(sim))
    a, b = encode(sim), encode(frozen)
    assert a.encoding == b.encoding == "packed-4bit" and a.nbytes == b.nbytes
    back = load(a, nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4)))
    x = torch.randn(8, 32)
    assert torch.equal(back(x), sim(x))


def test_a_weight_moved_off_its_grid_is_saved_dense():
    torch.manual_seed(0)
    m = freeze(simulate_quantization(nn.Sequential(nn.Linear(32, 16), nn.Linear(16, 4)), 4))
    with torch.no_grad():
        m[1].weight.add_(1e-3)  # e.g. trained further after freezing
    art = encode(m)
    assert art.encoding == "packed-4bit" and art.meta["weight_bits"] == 4
    entries = torch.load(io.BytesIO(art.payload), weights_only=True)["entries"]
    assert entries["0.weight"]["kind"] == "packed" and entries["1.weight"]["kind"] == "dense"
    back = load(art.payload, nn.Sequential(nn.Linear(32, 16), nn.Linear(16, 4)))
    x = torch.randn(3, 32)
    assert torch.equal(back(x), m(x))


def test_csr_only_where_smaller():
    torch.manual_seed(0)
    m = prune_weights(nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 10)), 0.05)
    assert encode(m).encoding == "dense-fp32"  # 5 % zeros: indices would cost more
    prune_weights(m, 0.8)
    art = encode(m)
    assert art.encoding == "csr" and art.nbytes < 0.4 * art.dense_bytes


def test_a_skeleton_without_the_pruned_shapes_is_resized_to_them(digits, tmp_path):
    cfg = RunConfig(dataset="digits", model="cnn", prune_method="filter", prune_ratio=0.5)
    deployed = _deploy(cfg, digits)
    path = encode(deployed).save(tmp_path / "f.pt")
    dense = build_model_for(cfg, digits.input_shape, digits.num_classes)  # not pruned
    back = load(path, dense)
    assert back[0].out_channels == deployed[0].out_channels < 32
    assert back[1].num_features == deployed[1].num_features
    with torch.inference_mode():
        assert torch.equal(back(digits.X_test), deployed(digits.X_test))


def test_wrong_skeletons_and_payloads_are_refused(digits, tmp_path):
    cfg = RunConfig(dataset="digits", model="cnn", quant_mode="int8")
    art = encode(_deploy(cfg, digits))
    fresh = build_model_for(cfg, digits.input_shape, digits.num_classes)
    with pytest.raises(ValueError, match="holds int8, the config asks for none"):
        load_deployed(art.payload, fresh, cfg.replace(quant_mode="none"),
                      torch.zeros(1, *digits.input_shape))
    with pytest.raises(ValueError, match=r"artefact \(int8\) holds 0.weight as torch.int8"):
        load(art, fresh)  # a float skeleton for an int8 artefact
    skeleton = rebuild(copy.deepcopy(fresh), cfg, example_input=torch.zeros(1, 1, 8, 8))
    with pytest.raises(RuntimeError, match=r"does not fit this skeleton"):
        load(encode(_deploy(cfg.replace(quant_mode="none", lowrank_rank=0.5), digits)),
             skeleton)  # keys of a low-rank float model into an int8 skeleton
    bf16 = encode(_deploy(cfg.replace(quant_mode="bf16"), digits))
    with pytest.raises(ValueError, match="bfloat16"):
        load(bf16, build_model_for(cfg, digits.input_shape, digits.num_classes))
    with pytest.raises(ValueError, match="holds simulated 4-bit"):
        rebuild(fresh, cfg.replace(quant_mode="simulated", quant_bits=2),
                example_input=torch.zeros(1, 1, 8, 8), meta={"weight_bits": 4})
    other = tmp_path / "state.pt"
    torch.save(nn.Linear(2, 2).state_dict(), other)
    with pytest.raises(ValueError, match="not an optwidgets artefact"):
        load(other, nn.Linear(2, 2))
    newer = torch.load(io.BytesIO(art.payload), weights_only=True)
    newer["version"] = 99
    buf = io.BytesIO()
    torch.save(newer, buf)
    with pytest.raises(ValueError, match="newer"):
        read(buf.getvalue())


def test_meta_must_be_plain_and_not_shadow_the_artefacts_own():
    with pytest.raises(TypeError, match="meta"):
        encode(nn.Linear(2, 2), meta={"when": object()})
    with pytest.raises(ValueError, match="dtype"):
        encode(nn.Linear(2, 2), meta={"dtype": "fp8"})
    art = encode(nn.Linear(2, 2), meta={"shape": (1, 8, 8), "tags": {"a": [1, 2.5, None]}})
    assert read(art.payload).meta["shape"] == [1, 8, 8]
    assert isinstance(art, Artefact)


def test_measure_reports_the_artefact(digits):
    cfg = RunConfig(dataset="digits", model="cnn", prune_method="weight", prune_ratio=0.8,
                    quant_mode="simulated", quant_bits=4)
    deployed = _deploy(cfg, digits)
    r = measure(deployed, digits.input_shape)
    art = encode(deployed)
    assert (r["size_bytes"], r["size_encoding"], r["dense_bytes"]) == (
        art.nbytes, art.encoding, art.dense_bytes)


# ---------------------------------------------------------------------------------------
# Done when: on digits cnn, trained runs, the saved size falls with bits and with sparsity


def _run(**fields) -> ow.RunResult:
    cfg = ow.RunConfig(dataset="digits", model="cnn", epochs=2, seed=0, device="cpu", **fields)
    res = ow.run(cfg, store=False)
    assert res.status == "done", res.error
    return res


def test_size_bytes_falls_with_bits_and_with_weight_sparsity(digits):
    fp32 = _run()
    bits = {k: _run(quant_mode="simulated", quant_bits=k) for k in (8, 4, 2)}
    sparse = {r: _run(prune_method="weight", prune_ratio=r) for r in (0.5, 0.8)}
    by_bits = [fp32.size_bytes] + [bits[k].size_bytes for k in (8, 4, 2)]
    assert all(a > b for a, b in zip(by_bits, by_bits[1:])), by_bits
    by_ratio = [fp32.size_bytes] + [sparse[r].size_bytes for r in (0.5, 0.8)]
    assert all(a > b for a, b in zip(by_ratio, by_ratio[1:])), by_ratio
    assert bits[4].size_bytes <= 0.20 * fp32.size_bytes  # the benchmark's bound
    for res in (fp32, *bits.values(), *sparse.values()):
        assert res.before.get("size_bytes", fp32.size_bytes) == fp32.size_bytes  # same dense
        art = encode(res.model)
        assert art.nbytes == res.size_bytes  # size_bytes is the artefact, for every technique
        cfg = res.config
        back = load_deployed(art.payload, build_model_for(cfg, digits.input_shape,
                                                          digits.num_classes),
                             cfg, torch.zeros(1, *digits.input_shape))
        with torch.inference_mode():
            x = digits.X_test
            assert torch.equal(back(x).argmax(1), res.model.eval()(x).argmax(1))
            assert torch.equal(back(x), res.model(x))
