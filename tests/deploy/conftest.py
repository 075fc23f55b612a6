"""Fixtures of the deployment checks: the pinned kustomize, the rendered overlays, the policy.

kustomize comes from `deploy/tools/install.sh` (built once from the Go module proxy and
cached); `BANCONE_KUSTOMIZE` names an existing binary instead (deploy_check.sh sets it).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())

Docs = list[dict[str, Any]]


def _load_package(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path / "__init__.py", submodule_search_locations=[str(path)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def policy() -> ModuleType:
    """tests/deploy/deploy_policy/: the checks, each returning the problems it finds."""
    return _load_package("bancone_deploy_policy", Path(__file__).with_name("deploy_policy"))


@pytest.fixture(scope="session")
def kustomize() -> str:
    given = os.environ.get("BANCONE_KUSTOMIZE")
    if given and Path(given).is_file():
        return given
    done = subprocess.run(
        ["bash", str(REPO / "deploy" / "tools" / "install.sh"), "kustomize"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"could not install the pinned kustomize:\n{done.stderr}")
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return lines["KUSTOMIZE"]


@pytest.fixture(scope="session")
def render(kustomize: str) -> Callable[[Path], Docs]:
    """`kustomize build DIR` as a list of documents; a failed build fails the test."""

    def build(directory: Path) -> Docs:
        done = subprocess.run(
            [kustomize, "build", "--load-restrictor", "LoadRestrictionsNone", str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"kustomize build {directory} failed:\n{done.stderr}")
        return [doc for doc in yaml.safe_load_all(done.stdout) if doc]

    return build


@pytest.fixture(scope="session")
def rendered(render: Callable[[Path], Docs]) -> dict[str, Docs]:
    """Every overlay under deploy/k8s/overlays, rendered once per session."""
    return {name: render(K8S / "overlays" / name) for name in OVERLAYS}
