import pytest
import torch
from torch import nn

from optwidgets.core.errors import ConfigError
from optwidgets.models import build_model, model_names, register


@pytest.mark.parametrize("name,shape", [("mlp", (2,)), ("mlp", (1, 8, 8)), ("cnn", (1, 8, 8)),
                                        ("cnn", (3, 32, 32)), ("resnet_tiny", (1, 28, 28)),
                                        ("mlp_small", (4,)), ("cnn_small", (1, 8, 8))])
def test_builtin_models_give_class_logits(name, shape):
    net = build_model(name, shape, 7)
    assert net(torch.zeros(3, *shape)).shape == (3, 7)


def test_mlp_options():
    net = build_model("mlp", (10,), 3, hidden=(16, 8), activation="tanh", dropout=0.2)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Flatten", "Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]


def test_students_are_smaller():
    def n(m):
        return sum(p.numel() for p in m.parameters())
    assert n(build_model("cnn_small", (1, 8, 8), 10)) < n(build_model("cnn", (1, 8, 8), 10))
    assert n(build_model("mlp_small", (64,), 10)) < n(build_model("mlp", (64,), 10))


def test_conv_model_refuses_vectors():
    with pytest.raises(ConfigError, match="needs image input"):
        build_model("cnn", (2,), 2)


def test_register_a_user_model_and_unknown_names():
    register("tiny_linear", lambda input_shape, num_classes: nn.Sequential(
        nn.Flatten(), nn.Linear(input_shape[0], num_classes)))
    assert "tiny_linear" in model_names()
    assert build_model("tiny_linear", (5,), 2, hidden=(3,))(torch.zeros(1, 5)).shape == (1, 2)
    with pytest.raises(ConfigError, match="did you mean 'tiny_linear'"):
        build_model("tiny_linea", (5,), 2)
