"""The package's layout: the stamps' code lists name real files, and cover what the chapters' kernels import."""

from __future__ import annotations

import ast
from pathlib import Path

from carebook.build import cache
from carebook.build.outputs import outputs

PACKAGE = cache.PACKAGE


def carebook_imports(path: Path) -> set[str]:
    """The carebook modules a file imports (absolute imports, at any depth), as paths relative to carebook/."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "carebook":
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.split(".")[0] == "carebook"]
        for name in names:
            parts = name.split(".")[1:]
            for candidate in (Path(*parts).with_suffix(".py") if parts else None, Path(*parts, "__init__.py")):
                if candidate and (PACKAGE / candidate).is_file():
                    found.add(str(candidate))
    return found


def test_every_module_named_in_a_stamp_exists():
    lists = [cache.KERNEL_CODE, cache.SPHINX_CODE, *(output.code for output in outputs().values())]
    missing = [name for names in lists for name in names if not (PACKAGE / name).is_file()]
    assert not missing, f"code lists name files that do not exist: {missing}"


def test_kernel_code_covers_every_module_the_kernel_side_imports():
    seen, todo = set(), list(cache.KERNEL_CODE)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(carebook_imports(PACKAGE / name))
    assert seen <= set(cache.KERNEL_CODE), (
        f"imported by chapter code but not in KERNEL_CODE: {seen - set(cache.KERNEL_CODE)}"
    )


def test_each_output_stamps_its_own_module():
    for name, output in outputs().items():
        assert f"build/outputs/{name}.py" in output.code


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
