"""Model zoo and registry.

Example
-------
>>> from optwidgets.models import build_model, model_names
>>> "cnn" in model_names()
True
>>> build_model("mlp", (2,), 2, hidden=(8, 8))[1].out_features
8
"""

from optwidgets.models.ensemble import Ensemble
from optwidgets.models.outputs import logits_of
from optwidgets.models.registry import (
    ModelFactory,
    build_model,
    is_conv_model,
    model_names,
    model_options,
    register,
)
from optwidgets.models.zoo import CNN, MLP, ResNetTiny

__all__ = ["register", "build_model", "model_names", "model_options", "is_conv_model",
           "ModelFactory", "MLP", "CNN", "ResNetTiny", "logits_of", "Ensemble"]


def _mlp_small(input_shape, num_classes, activation="relu", dropout=0.0):
    return MLP(input_shape, num_classes, hidden=(32,), activation=activation, dropout=dropout)


def _cnn_small(input_shape, num_classes, dropout=0.0):
    return CNN(input_shape, num_classes, width=8, dropout=dropout)


register("mlp", MLP)
register("cnn", CNN, needs_images=True)
register("resnet_tiny", lambda input_shape, num_classes, width=16, dropout=0.0:
         ResNetTiny(input_shape, num_classes, width=width, dropout=dropout), needs_images=True)
# Students for distillation: fixed, smaller versions of the two families.
register("mlp_small", _mlp_small)
register("cnn_small", _cnn_small, needs_images=True)
