"""Shared code for *Joined Up?*: data loading, charts, prose values and the build."""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
