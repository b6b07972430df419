"""optwidgets.export: the exported plain PyTorch script reproduces ow.run exactly.

End to end, each script runs in its own ``python`` process and must print the run's test
accuracy (and per-epoch validation losses): same seeds, same splits, same initial weights,
same batch order, so on the same device the numbers are equal, not just close. The parts
(data, model) are also compared tensor for tensor in-process, which is fast and says which
part drifted when the end-to-end test fails.
"""

from __future__ import annotations

import inspect
import os
import re
import runpy
import subprocess
import sys

import pytest
import torch

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.data import preprocess, splits
from optwidgets.export import EXPORTABLE_MODELS, export_script, inlined_objects, write_script
from optwidgets.runs import build_model_for, prepare_data
from optwidgets.train import optim, trainer

# Every knob the script reproduces, at once, on a small toy set.
ALL_KNOBS = ow.RunConfig(
    dataset="spiral", model="mlp", hidden=(16, 16), dropout=0.1, epochs=6, optimizer="sgd",
    lr=0.05, nesterov=True, schedule="onecycle", l1=1e-4, grad_clip=1.0, patience=2,
    weight_decay=1e-3, classes=(1, 0), train_fraction=0.7, labels_per_class=100,
    preprocess="robust", seed=3,
)  # fmt: skip

# Mixed precision on the CPU, another optimizer and schedule.
BF16 = ow.RunConfig(
    dataset="gaussians", model="mlp", hidden=(16,), epochs=2, amp="bf16", schedule="cosine",
    optimizer="adamw", weight_decay=0.01,
)  # fmt: skip

END_TO_END = {
    "digits-mlp": ow.RunConfig(dataset="digits", model="mlp", epochs=2),
    "digits-cnn": ow.RunConfig(dataset="digits", model="cnn", epochs=2),
    "moons-mlp": ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=3),
    "spiral-all-knobs": ALL_KNOBS,
    "gaussians-bf16-cosine-adamw": BF16,
    # rmsprop at lr 10: the loss climbs past DIVERGENCE_GROWTH times its start (never inf)
    "digits-rmsprop-diverges": ow.RunConfig(
        dataset="digits", model="mlp", optimizer="rmsprop", lr=10, epochs=3
    ),
}
DIVERGES = {"digits-rmsprop-diverges"}


def _run_script(path) -> str:
    # Same intra-op thread count as this process: CPU reductions may split differently.
    env = dict(os.environ, OMP_NUM_THREADS=str(torch.get_num_threads()))
    env.pop("PYTHONPATH", None)  # the script must not need the repository on its path
    proc = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, env=env,
        cwd=path.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.parametrize("name", list(END_TO_END))
def test_script_reproduces_the_run(name, tmp_path):
    cfg = END_TO_END[name]
    res = ow.run(cfg, store=False, device="cpu")
    assert res.status == ("diverged" if name in DIVERGES else "done"), res.error
    path = write_script(cfg.replace(device="cpu"), tmp_path / f"{name}.py")
    text = path.read_text()
    assert "optwidgets" not in text.lower()

    out = _run_script(path)
    assert ("diverged:" in out) == (res.status == "diverged"), out
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(r"test_acc=(\d\.\d{6})", last)
    assert match, out
    assert abs(float(match.group(1)) - res.metrics["test_acc"]) <= 1e-6

    # The whole trajectory, not only the end point: one val loss per epoch trained.
    printed = [float(v) for v in re.findall(r"val_loss=([\d.]+)", out)]
    hist = res.history
    val = hist[(hist["split"] == "val") & (hist["metric"] == "loss")]["value"].tolist()
    assert len(printed) == len(val)
    assert printed == pytest.approx(val, abs=6e-5)  # printed with 4 decimals
    if cfg.patience:
        assert ("early stop" in out) == ("early_stopped_epoch" in res.extras)
        assert f"restored the weights of epoch {res.extras['best_epoch']}" in out


def _exported(cfg, tmp_path):
    """The script's namespace, imported without running main()."""
    path = write_script(cfg, tmp_path / "exported.py")
    return runpy.run_path(str(path), run_name="exported")


@pytest.mark.parametrize(
    "cfg",
    [
        ow.RunConfig(dataset="digits", model="mlp"),
        ow.RunConfig(dataset="digits", model="mlp", preprocess="minmax", classes=(7, 2, 5),
                     labels_per_class=20, seed=5, val_fraction=0.2, test_fraction=0.25),
        ow.RunConfig(dataset="digits", model="cnn", preprocess="none", train_fraction=0.5),
        *[ow.RunConfig(dataset=name, model="mlp", n_samples=300, noise=0.2, seed=7)
          for name in ("moons", "circles", "spiral", "xor", "gaussians")],
        ALL_KNOBS,
    ],
    ids=lambda c: f"{c.dataset}-{c.preprocess}-{len(c.classes)}",
)  # fmt: skip
def test_script_loads_the_same_data(cfg, tmp_path):
    ref = prepare_data(cfg)
    got = _exported(cfg, tmp_path)["load_data"]()
    names = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
    for name, tensor in zip(names, got):
        expected = getattr(ref, name)
        assert tensor.dtype == expected.dtype, name
        assert torch.equal(tensor, expected), name


@pytest.mark.parametrize("model", EXPORTABLE_MODELS)
def test_script_builds_the_same_initial_model(model, tmp_path):
    dataset = "digits" if model in ("cnn", "cnn_small", "resnet_tiny") else "xor"
    cfg = ow.RunConfig(dataset=dataset, model=model, dropout=0.25, width=6, hidden=(12, 7),
                       activation="tanh", seed=11)  # fmt: skip
    ref = build_model_for(cfg)
    got = _exported(cfg, tmp_path)["build_model"]()
    assert str(got) == str(ref)  # same layers in the same order
    ref_state, got_state = ref.state_dict(), got.state_dict()
    assert list(got_state) == list(ref_state)
    for key, value in ref_state.items():
        assert torch.equal(got_state[key], value), key


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dataset": "mnist"}, "dataset"),
        ({"augment": {"rotate": 10}}, "augment"),
        ({"quant_mode": "int8"}, "quant_mode"),
        ({"prune_method": "weight", "prune_ratio": 0.5}, "prune_ratio"),
        ({"distill_student": "mlp_small"}, "distill_student"),
        ({"lowrank_rank": 0.5}, "lowrank_rank"),
        ({"transfer": "fine_tune", "source": "x.pt"}, "transfer"),
    ],
)
def test_refuses_what_the_script_cannot_reproduce(changes, field, tmp_path):
    cfg = ow.RunConfig(dataset="digits", model="mlp").replace(**changes)
    path = tmp_path / "never.py"
    with pytest.raises(ConfigError) as info:
        write_script(cfg, path)
    assert info.value.field == field
    assert field in str(info.value)
    assert not path.exists()  # nothing half-written


def test_refuses_a_model_it_cannot_inline():
    from torch import nn

    from optwidgets.models import register
    from optwidgets.models.registry import _FACTORIES

    register("linear_for_export_test", lambda input_shape, num_classes: nn.Linear(2, num_classes))
    try:
        cfg = ow.RunConfig(dataset="xor", model="linear_for_export_test")
        with pytest.raises(ConfigError, match="model='linear_for_export_test'"):
            export_script(cfg)
    finally:
        _FACTORIES.pop("linear_for_export_test")


def test_a_field_the_exporter_does_not_know_is_refused_when_set(monkeypatch):
    from optwidgets.export import script as export

    fields = set(ow.RunConfig.field_names())
    assert not export._REPRODUCED & export._REFUSED_WHEN_ON
    assert fields >= export._REPRODUCED | export._REFUSED_WHEN_ON  # no typos
    # As if grad_clip were a field added to RunConfig after the exporter was written:
    monkeypatch.setattr(export, "_REPRODUCED", export._REPRODUCED - {"grad_clip"})
    export_script(ow.RunConfig(dataset="xor", model="mlp"))  # at its default: harmless
    with pytest.raises(ConfigError) as info:
        export_script(ow.RunConfig(dataset="xor", model="mlp", grad_clip=1.0))
    assert info.value.field == "grad_clip"


def test_a_field_that_only_observes_the_run_does_not_block_the_export():
    from optwidgets.export import script as export

    assert set(ow.RunConfig.field_names()) >= export._OBSERVING
    text = export_script(ow.RunConfig(dataset="xor", model="mlp", grad_every=2))
    plain = export_script(ow.RunConfig(dataset="xor", model="mlp"))
    body = text.split('"""', 2)[2]  # after the docstring that names the settings
    assert body == plain.split('"""', 2)[2] and "grad_every" not in body


def test_script_is_valid_python_that_names_its_settings():
    cfg = ow.RunConfig(dataset="digits", model="cnn_small", optimizer="rmsprop", lr=0.01,
                       schedule="step", step_size=2, gamma=0.5, amp="bf16")  # fmt: skip
    text = export_script(cfg, filename="mine.py")
    compile(text, "mine.py", "exec")
    for line in ('    optimizer="rmsprop",', "    lr=0.01,", '    schedule="step",',
                 "    step_size=2,", '    amp="bf16",', "python mine.py"):  # fmt: skip
        assert line in text


# What the Trainer runs, and so what every exported script must carry (not a copy of it).
TRAINING = [trainer.RunDiverged, trainer.shuffle_seed, optim.make_optimizer,
            optim.make_scheduler, trainer.amp_context, trainer.batch_order,
            trainer.l1_parameters, trainer.train_step, trainer.keep_loss, trainer.epoch_losses,
            trainer.evaluate, trainer.EarlyStopping]  # fmt: skip
DATA = [
    splits.split_indices,
    splits.relabel_classes,
    splits.thin_indices,
    preprocess.column_statistics,
    preprocess.fit_statistics,
    preprocess.apply_scaling,
]


@pytest.mark.parametrize(
    "cfg",
    [ALL_KNOBS, BF16, *(END_TO_END[k] for k in ("digits-mlp", "digits-cnn")),
     ow.RunConfig(dataset="digits", model="resnet_tiny", preprocess="none")],
    ids=["all-knobs", "bf16", "digits-mlp", "digits-cnn", "digits-resnet"],
)  # fmt: skip
def test_script_carries_the_kits_own_source_verbatim(cfg):
    text = export_script(cfg)
    objs = inlined_objects(cfg)
    assert all(obj in objs for obj in TRAINING)
    if cfg is ALL_KNOBS:  # classes, thinning and scaling: every data function is used
        assert all(obj in objs for obj in DATA)
    for obj in objs:
        src = inspect.getsource(obj)
        assert src in text, obj.__qualname__
        name = obj.__name__
        assert len(re.findall(rf"^(?:def|class) {name}\b", text, flags=re.M)) == 1, name
    # in the order inlined_objects gives, each under a line saying where it comes from
    positions = [text.index(inspect.getsource(obj)) for obj in objs]
    assert positions == sorted(positions)
    assert text.count("\n# from ") == len(objs)
    # Everything else defined at top level is the script's own wiring, and only that.
    defined = set(re.findall(r"^(?:def|class) (\w+)", text, flags=re.M))
    glue = {"features", "load_data", "build_model", "pick_device", "main"}
    assert defined - {obj.__name__ for obj in objs} == glue


def test_the_scripts_functions_compile_to_the_kits_bytecode(tmp_path):
    ns = _exported(ALL_KNOBS, tmp_path)
    for obj in inlined_objects(ALL_KNOBS):
        if inspect.isclass(obj):
            continue
        ours, theirs = inspect.unwrap(ns[obj.__name__]), inspect.unwrap(obj)
        assert ours.__code__.co_code == theirs.__code__.co_code, obj.__name__


def _global_names(code):
    """Names a code object (and the code nested in it) reads as globals."""
    import dis

    names = {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _global_names(const)
    return names


@pytest.mark.parametrize("cfg", [ALL_KNOBS, BF16, END_TO_END["digits-cnn"]],
                         ids=["all-knobs", "bf16", "digits-cnn"])  # fmt: skip
def test_every_name_the_script_reads_is_defined_in_it(cfg, tmp_path):
    """An inlined function that calls a kit function the script does not carry fails here,
    not only on the one input that reaches that call."""
    import builtins

    ns = _exported(cfg, tmp_path)
    defined = set(ns) | set(dir(builtins))
    for name, value in list(ns.items()):
        funcs = [value] if inspect.isfunction(value) else []
        if inspect.isclass(value) and value.__module__ == "exported":
            funcs = [v for v in vars(value).values() if inspect.isfunction(v)]
        for f in funcs:
            f = inspect.unwrap(f)
            if f.__module__ == "exported":
                missing = _global_names(f.__code__) - defined
                assert not missing, f"{name} reads {sorted(missing)}, not defined in the script"


def test_every_setting_of_the_script_is_one_the_exporter_reproduces():
    from optwidgets.export import script as export

    assert set(export._SETTINGS) | set(export._MODEL_SETTINGS) == export._REPRODUCED
