"""The package's layout: modules stay short, and the library never prints."""

from __future__ import annotations

import ast

from carebook.build.stamp import PACKAGE


def test_no_module_is_over_350_lines():
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 360
    }
    assert not long, f"modules over about 350 lines: {long}"


def test_the_library_never_prints():
    """Progress goes through carebook.build.progress (a logger); only the command line and `serve` print."""
    printing = [
        f"{p.relative_to(PACKAGE)}:{node.lineno}"
        for p in PACKAGE.rglob("*.py")
        if p.name not in {"cli.py", "serve.py"}
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    assert not printing, f"print() in library code: {printing}"
