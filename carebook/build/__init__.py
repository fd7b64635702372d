"""The build tool, in pipeline order (see the README). `build()`, `lock()`, `vega_bundle()` and `OUTPUTS` live in
carebook.build.pipeline and are imported on first use, so that a worker importing carebook.build.job loads little."""

from __future__ import annotations

import importlib

__all__ = ["OUTPUTS", "SPHINX_MODULES", "Report", "build", "build_html", "build_pdf", "lock", "prepare", "vega_bundle"]


def __getattr__(name: str):
    """The pipeline's names, from carebook.build.pipeline (PEP 562)."""
    if name in __all__:
        return getattr(importlib.import_module("carebook.build.pipeline"), name)
    raise AttributeError(f"module 'carebook.build' has no attribute {name!r}")
