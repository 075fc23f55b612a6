"""`make lint`'s import boundaries fail on a planted forbidden import, and pass without it.

Both checks run for real, as `make lint` runs them: `lint-imports` with the repository's
contracts over an overlay that shadows one service package with a copy (planted or not), and
`deploy/tools/check_imports.py` over a small tree of test and script files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
CATALOG_SRC = REPO / "services" / "catalog" / "src" / "bancone_catalog"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CHECK_IMPORTS = REPO / "deploy" / "tools" / "check_imports.py"


def lint_imports(overlay: Path, contract: str) -> subprocess.CompletedProcess[str]:
    """One contract of the root pyproject.toml, with `overlay` first on the import path."""
    path = os.pathsep.join(p for p in (str(overlay), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--contract", contract],
        cwd=overlay,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def catalog_overlay(tmp_path: Path) -> Path:
    """A directory holding a copy of `bancone_catalog`, which shadows the installed one."""
    overlay = tmp_path / "overlay"
    shutil.copytree(
        CATALOG_SRC, overlay / "bancone_catalog", ignore=shutil.ignore_patterns("__pycache__")
    )
    return overlay


def plant(overlay: Path, module: str, source: str) -> None:
    path = overlay.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(f'"""Planted by a test."""\n\n{source}\n', encoding="utf-8")


def test_a_service_importing_another_breaks_the_independence_contract(
    catalog_overlay: Path,
) -> None:
    clean = lint_imports(catalog_overlay, "services-independent")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    plant(catalog_overlay, "bancone_catalog.planted", "from bancone_notifier import settings")
    planted = lint_imports(catalog_overlay, "services-independent")

    assert planted.returncode != 0
    assert "BROKEN" in planted.stdout
    assert "bancone_catalog.planted -> bancone_notifier" in planted.stdout


def test_a_domain_importing_an_io_library_breaks_the_purity_contract(
    catalog_overlay: Path,
) -> None:
    before = lint_imports(catalog_overlay, "domains-pure")
    assert "bancone_catalog.domain" not in before.stdout, before.stdout

    plant(catalog_overlay, "bancone_catalog.domain.planted", "import httpx")
    planted = lint_imports(catalog_overlay, "domains-pure")

    assert planted.returncode != 0
    assert "bancone_catalog.domain.planted -> httpx" in planted.stdout


def check_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK_IMPORTS), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Files in every area the checker reads, each importing only what it may."""
    root = tmp_path / "repo"
    write(root, "tests/e2e/test_flow.py", "import httpx\nfrom bancone_contracts import topics\n")
    write(root, "bench/latency.py", "from bancone_cli.webhooks import sign\n")
    write(root, "deploy/local/create_topics.py", "from bancone_kit.messaging import topic_admin\n")
    write(root, "libs/kit/tests/test_cli.py", "from bancone_kit.cli import run_service_cli\n")
    write(root, "services/agent/tests/unit/test_turn.py", "from bancone_agent import domain\n")
    write(root, "services/agent/eval/run.py", "from bancone_agent.adapters import shop_tools\n")
    return root


def test_the_import_scan_passes_a_tree_that_keeps_the_boundaries(tree: Path) -> None:
    result = check_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 boundary violation(s)" in result.stderr


@pytest.mark.parametrize(
    ("relative", "source", "reported"),
    [
        (
            "tests/e2e/test_flow.py",
            "from bancone_agent.domain.language import detect_language\n",
            "tests/e2e/test_flow.py:1: code outside the services imports bancone_agent",
        ),
        ("bench/latency.py", "import bancone_gateway.settings\n", "bench/latency.py:1:"),
        (
            "deploy/local/create_topics.py",
            "from bancone_kit.testing.provision import ensure_topics\n",
            "running code imports test support bancone_kit.testing.provision",
        ),
        (
            "libs/kit/tests/test_cli.py",
            'ARGV = ["-m", "bancone_gateway", "serve"]\n',
            "libs/ names the service 'bancone_gateway'",
        ),
        (
            "services/agent/tests/unit/test_turn.py",
            "from bancone_catalog.settings import CatalogSettings\n",
            "services/agent imports bancone_catalog.settings",
        ),
        (
            "services/agent/eval/run.py",
            "import importlib\nimportlib.import_module('bancone_catalog.migrations')\n",
            "services/agent/eval/run.py:2: services/agent imports bancone_catalog.migrations",
        ),
        (
            "services/notifier/src/bancone_notifier/testing.py",
            "FAKE = 1\n",
            "test fakes in a service's src/",
        ),
        (
            "services/agent/src/bancone_agent/testing/fakes.py",
            "FAKE = 1\n",
            "services/agent/src/bancone_agent/testing/fakes.py:1: test fakes in a service's src/",
        ),
    ],
)
def test_the_import_scan_fails_on_a_planted_forbidden_import(
    tree: Path, relative: str, source: str, reported: str
) -> None:
    write(tree, relative, source)

    result = check_imports(tree)

    assert result.returncode == 1
    assert reported in result.stdout, result.stdout
