"""The environment is pinned in one place: requirements.lock; environment.yml must agree with it."""

from __future__ import annotations

import re

import yaml
from conftest import ROOT


def lock_versions() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {n.lower().replace("_", "-"): v for n, v in re.findall(r"(?m)^([A-Za-z0-9_.-]+)==([^\s\\]+)", text)}


def direct_dependencies() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.in").read_text(encoding="utf-8").splitlines():
        name = re.split(r"[<>=!\s\[#]", line.strip(), maxsplit=1)[0]
        if name:
            names.add(name.lower().replace("_", "-"))
    return names


def test_lock_pins_every_package_with_hashes():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = re.findall(r"(?m)^[A-Za-z0-9_.-]+==\S+", text)
    assert len(pins) == len(lock_versions()) > 50
    assert text.count("--hash=sha256:") >= len(pins)
    assert direct_dependencies() <= set(lock_versions())


def test_environment_yml_agrees_with_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    pinned = dict(line.split("==") for line in pip)
    lock = lock_versions()
    assert set(pinned) == direct_dependencies(), "environment.yml must list exactly requirements.in's packages"
    wrong = {name: (version, lock.get(name)) for name, version in pinned.items() if lock.get(name) != version}
    assert not wrong, f"environment.yml and requirements.lock disagree (yml, lock): {wrong}"
