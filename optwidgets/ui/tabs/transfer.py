"""Transfer tab: start from a pretrained source, and limit the labelled training data.

``source`` is a built-in name (``digits_0_4_cnn``, made offline on first use), a path to
a weights file (a state dict, read with ``weights_only=True``) or a stored run id;
RunConfig refuses ``feature_extraction`` / ``fine_tune`` without one.
"""

from __future__ import annotations

from optwidgets.config import TRANSFER_MODES
from optwidgets.runs.transfer import source_names
from optwidgets.ui._spec import Control, Tab

__all__ = ["TAB"]


def _source_help() -> str:
    return ("a built-in source (" + ", ".join(source_names()) + "), a .pt file of weights "
            "or a stored run id; empty for scratch")


TAB = Tab(
    "Transfer",
    order=45,
    help="The new classifier head always trains; the backbone comes from the source "
    "(same architecture and input) and is frozen or fine-tuned at a lower rate.",
    controls=[
        Control(
            "transfer",
            "dropdown",
            "transfer",
            choices=TRANSFER_MODES,
            help="scratch; feature_extraction: frozen backbone, new head; fine_tune: all "
            "layers, backbone at lr * backbone scale",
        ),
        Control("source", "text", "source", help=_source_help()),
        Control(
            "backbone_lr_scale",
            "slider",
            "backbone lr scale",
            min=0.0,
            max=1.0,
            step=0.05,
            help="fine_tune: the backbone's learning rate is lr times this",
        ),
        Control(
            "classes",
            "text",
            "classes",
            help="keep only these labels, e.g. 5, 6, 7, 8, 9 (relabelled 0..k-1); empty = all",
        ),
        Control(
            "labels_per_class",
            "int",
            "labels per class",
            help="labelled training samples kept per class; 0 = all",
        ),
        Control(
            "train_fraction",
            "slider",
            "train fraction",
            min=0.05,
            max=1.0,
            step=0.05,
            help="share of the training split that keeps its labels",
        ),
    ],
)
