"""Import boundaries for the code import-linter cannot see: tests, evals, benches, scripts.

`lint-imports` (contracts in the root `pyproject.toml`) checks the installed packages. Test
suites, `bench/`, `deploy/` scripts and a service's `eval/` are not packages, so this scan
reads their imports with `ast` and applies the same rule: an e2e test, a bench, a deploy
script or the kit's tests talk to services as processes (HTTP, Kafka), never through their
code; a service's own tests, eval and bench import that service and no other; `libs/` and
`tools/` do not even name a service (to start it). Running code (src/, deploy/, bench/, an
eval) imports no test support, and test fakes do not live in a service's `src/` (they belong
to its tests, see docs/architecture.md).

    uv run --frozen python deploy/tools/check_imports.py [--root DIR]

Exit status 1 lists every violation as `path:line: message`.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SERVICES = ("gateway", "ingest", "agent", "catalog", "notifier")
SERVICE_PACKAGES = {f"bancone_{name}": name for name in SERVICES}

SERVICE_NAME = re.compile(rf"bancone[_-]({'|'.join(SERVICES)})(\.[\w.]+)?")
"""A service's package, module or console script named in a string (`-m bancone_gateway`)."""

NAMELESS_AREAS = ("libs", "tools")
"""The shared libraries and tools sit below the services: they do not even start one."""

TEST_SUPPORT = ("pytest", "bancone_kit.testing")
"""What only tests import: running code (src/, deploy/, bench/, an eval) gets what it needs
from a non-testing module instead."""

SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist"}


@dataclass(frozen=True)
class Violation:
    path: PurePosixPath
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def python_files(root: Path) -> Iterator[PurePosixPath]:
    """Every `.py` file under `root`, relative, skipping hidden, cache and build folders."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in relative.parts[:-1]):
            continue
        yield PurePosixPath(relative.as_posix())


def imported_modules(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every absolute import, and of `importlib.import_module("...")`
    or `__import__("...")` called with a literal name."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def named_services(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """(line, string) of every string literal that is exactly a service's name."""
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SERVICE_NAME.fullmatch(node.value)
        ):
            yield node.lineno, node.value


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def own_service(path: PurePosixPath) -> str | None:
    """The one service `path` may import: its own for `services/<name>/...` (src, tests,
    eval, bench); none for everything else (tests/e2e, bench, deploy, libs, tools)."""
    if len(path.parts) > 2 and path.parts[0] == "services" and path.parts[1] in SERVICES:
        return path.parts[1]
    return None


def is_test_code(path: PurePosixPath) -> bool:
    """Tests, their conftest files, and the kit's own pytest plugin (`bancone_kit.testing`)."""
    return (
        "tests" in path.parts[:-1]
        or path.name == "conftest.py"
        or "/bancone_kit/testing/" in f"/{path.parent}/"
    )


def is_fake_in_src(path: PurePosixPath) -> bool:
    """A `testing*.py` module or `testing*/` package inside a service's `src/`."""
    if path.parts[0] != "services" or "src" not in path.parts:
        return False
    inside = path.parts[path.parts.index("src") + 1 :]
    return any(PurePosixPath(part).stem.startswith("testing") for part in inside)


def _is_module(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def check_file(root: Path, path: PurePosixPath) -> list[Violation]:
    """The violations in one file: imports of a service it may not import, or a test fake
    module inside a service's `src/`."""
    found: list[Violation] = []
    if is_fake_in_src(path):
        found.append(Violation(path, 1, "test fakes in a service's src/: move them to its tests/"))
    allowed = own_service(path)
    source = (root / path).read_text(encoding="utf-8")
    for line, module in imported_modules(source, str(path)):
        if not is_test_code(path) and any(_is_module(module, t) for t in TEST_SUPPORT):
            found.append(Violation(path, line, f"running code imports test support {module}"))
        service = SERVICE_PACKAGES.get(module.partition(".")[0])
        if service is None or service == allowed:
            continue
        who = f"services/{allowed}" if allowed else "code outside the services"
        found.append(
            Violation(
                path, line, f"{who} imports {module}: talk to bancone_{service} over HTTP/Kafka"
            )
        )
    if path.parts[0] in NAMELESS_AREAS:
        found.extend(
            Violation(path, line, f"{path.parts[0]}/ names the service {name!r}: use a test app")
            for line, name in named_services(source, str(path))
        )
    return found


def check_tree(root: Path) -> list[Violation]:
    return [v for path in python_files(root) for v in check_file(root, path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--root", type=Path, default=Path(__file__).resolve().parents[2], help="repository root"
    )
    args = parser.parse_args(argv)
    violations = check_tree(args.root)
    for violation in violations:
        print(violation)
    checked = sum(1 for _ in python_files(args.root))
    print(
        f"check_imports: {checked} files, {len(violations)} boundary violation(s)",
        file=sys.stderr,
    )
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
