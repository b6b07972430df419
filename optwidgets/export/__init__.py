"""Export a run as a plain PyTorch script (torch, numpy and scikit-learn only).

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.export import export_script
>>> "import optwidgets" in export_script(ow.RunConfig(dataset="moons", model="mlp"))
False
"""

from optwidgets.export.script import (
    EXPORTABLE_MODELS,
    export_script,
    inlined_objects,
    write_script,
)

__all__ = ["export_script", "write_script", "inlined_objects", "EXPORTABLE_MODELS"]
