"""JupyterLab for authors: chapters open as notebooks (jupytext), run in the book's own kernel, save as MyST.

JupyterLab lives in its own environment (`.venv-lab`, from requirements-lab.lock) so that its packages stay
out of the chapters' kernel. `install(lab)` tells that environment two things: its `python3` kernel is the
book's interpreter (so chapters run with the book's packages and data, and their kernelspec stays as written),
and Markdown files open as Jupytext notebooks by default.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "python3"  # the name in every chapter's front matter: saving leaves it as written
DISPLAY_NAME = "Python 3"
DEFAULT_VIEWERS = {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}


def kernelspec(python: Path) -> dict:
    """A kernelspec running `python` (the book's environment) with ipykernel."""
    return {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }


def _write_json(path: Path, content: dict) -> None:
    """Write `content` as JSON, making the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def install(lab: Path, python: Path | None = None) -> None:
    """Point the lab environment `lab` at the book's kernel and open Markdown chapters as notebooks."""
    share = lab / "share" / "jupyter"
    _write_json(share / "kernels" / KERNEL_NAME / "kernel.json", kernelspec(python or Path(sys.executable)))
    overrides = {
        "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": DEFAULT_VIEWERS},
        # Offline, and no question at start: no news or update checks.
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    _write_json(share / "lab" / "settings" / "overrides.json", overrides)


if __name__ == "__main__":  # python -m carebook.lab .venv-lab
    install(Path(sys.argv[1]).resolve())
