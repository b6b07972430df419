"""Augmentation tab: input scaling and the random changes made to each training batch,
with a live preview grid of the current dataset's samples.

Each knob edits one key of ``RunConfig.augment`` (0 / off removes the key); the form
assigns a new dict, so RunConfig validates it (unknown keys, negative magnitudes,
rotation > 180 and geometric augmentation on feature vectors are refused, named). The
preview (:mod:`optwidgets.ui.augment_preview`) is redrawn whenever a knob moves.
"""

from __future__ import annotations

from optwidgets.config import PREPROCESS
from optwidgets.ui._spec import Control, Tab
from optwidgets.ui.augment_preview import preview_panel

__all__ = ["TAB"]


def _preview(explorer):
    return preview_panel(explorer)


TAB = Tab(
    "Augmentation",
    order=40,
    help="Scaling is fitted on the training split only; augmentation changes training "
    "batches only (validation and test are never augmented).",
    extra=_preview,
    controls=[
        Control(
            "preprocess",
            "dropdown",
            "scaling",
            choices=PREPROCESS,
            help="none; minmax to [0, 1]; standardize (z-score); robust (median / IQR)",
        ),
        Control(
            "augment",
            "slider",
            "rotate (deg)",
            key="rotate",
            min=0.0,
            max=90.0,
            step=1.0,
            help="rotate each image by an angle drawn in [-v, v] degrees (max 180)",
        ),
        Control(
            "augment",
            "slider",
            "translate (px)",
            key="translate",
            min=0.0,
            max=8.0,
            step=0.5,
            help="shift each image by up to v pixels on each axis",
        ),
        Control(
            "augment",
            "checkbox",
            "horizontal flip",
            key="hflip",
            help="mirror half of the images left-right (a mirrored digit may be another digit)",
        ),
        Control(
            "augment",
            "slider",
            "noise (std)",
            key="noise",
            min=0.0,
            max=1.0,
            step=0.05,
            help="add Gaussian noise of this std, in units of the scaled input",
        ),
        Control(
            "augment",
            "slider",
            "cutout (px)",
            key="cutout",
            min=0.0,
            max=8.0,
            step=1.0,
            help="zero a square of this side at a random place; 0 = off",
        ),
    ],
)
