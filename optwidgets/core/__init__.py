"""The bottom layer, importing nothing else of ours.

- :mod:`optwidgets.core.errors`: ``ConfigError`` / ``DataError``, naming field, value
  and what is allowed;
- :mod:`optwidgets.core.devices`: which device a run uses;
- :mod:`optwidgets.core.io`: files written whole or not at all, JSON-safe values.

The modules are imported by their paths (``from optwidgets.core.errors import
ConfigError``): this file imports none of them, so ``errors`` stays free of torch.
"""
