"""Replay the builder stage of the service Dockerfile template, once per service, without a
Docker engine.

There is no Docker engine on the machines this project is built on, so the images are never
built here. What can be checked is the part most likely to break: that the files the builder
stage COPYs (with `--build-arg SERVICE=<service>`) are enough for its `uv sync` commands to
install the service from the lock file, that the result holds that service's packages and no
other service's, and that the image's entry point (`bancone-service`, the link to the
service's console script) answers. This script copies exactly those COPY sources into a
scratch directory, runs the same RUN commands there (the venv path redirected into the
scratch directory), and checks the outcome. The base image, the final stage and the user are
not exercised.

    python deploy/tools/dockerfile_replay.py [SERVICE ...]     (default: every service)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
SHARED_PACKAGES = {"bancone_contracts", "bancone_kit"}
ENTRYPOINT_LINK = "bancone-service"
"""The fixed name the template's ENTRYPOINT runs, linked to `bancone-<service>`."""
IMAGE_VENV = "/app/.venv"


@dataclass
class Stage:
    """One `FROM ... AS name` stage: its COPY instructions (from the context) and RUN commands."""

    name: str
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def parse_env(arguments: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(arguments) if "=" in part)


def stages(text: str) -> dict[str, Stage]:
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else words[0]
            current = found.setdefault(name, Stage(name))
        elif current is None:
            continue
        elif keyword == "COPY":
            words = [w for w in shlex.split(arguments) if not w.startswith("--")]
            if "--from" not in arguments:
                current.copies.append((words[:-1], words[-1]))
        elif keyword == "RUN":
            current.runs.append(arguments)
        elif keyword == "ENV":
            current.env.update(parse_env(arguments))
        elif keyword == "WORKDIR":
            current.workdir = arguments
    return found


def without_mounts(run: str) -> str:
    """A RUN line without its leading BuildKit options (`--mount=...`)."""
    words = run.split()
    while words and words[0].startswith("--"):
        words.pop(0)
    return " ".join(words)


def replayed_commands(run: str, venv: Path) -> list[list[str]]:
    """What to run for one RUN line: `uv` commands as they are, anything else (the SERVICE
    check, the entry point link) through `sh -c`; the image's venv path redirected."""
    command = without_mounts(run).replace(IMAGE_VENV, str(venv))
    if command.startswith("uv "):
        return [shlex.split(part) for part in re.split(r"&&|;", command) if part.strip()]
    return [["sh", "-c", command]]


def for_service(text: str, service: str) -> str:
    """The template as `docker build --build-arg SERVICE=<service>` reads it."""
    return text.replace("${SERVICE}", service).replace("$SERVICE", service)


def replay(dockerfile: Path, service: str) -> list[str]:
    """Problems found replaying `dockerfile`'s builder stage for `service` (empty: it works)."""
    label = f"{dockerfile.name} (SERVICE={service})"
    builder = stages(for_service(dockerfile.read_text(), service)).get("builder")
    if builder is None:
        return [f"{label}: no stage named 'builder'"]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"replay-{service}-") as scratch:
        root = Path(scratch)
        workdir = root / builder.workdir.lstrip("/")
        workdir.mkdir(parents=True, exist_ok=True)
        venv = root / "app-venv"
        for sources, destination in builder.copies:
            for source in sources:
                copy_into(REPO / source, workdir, destination, source)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
        env.update({k: v for k, v in builder.env.items() if k.startswith("UV_")})
        env["UV_PROJECT_ENVIRONMENT"] = str(venv)
        env["UV_PYTHON"] = "3.11"  # the image's /usr/local/bin/python3.11 is not here
        env["UV_LINK_MODE"] = "hardlink"  # same packages, faster than the image's copy mode
        env["UV_COMPILE_BYTECODE"] = "0"  # the image compiles; here it would only cost time
        env["SERVICE"] = service
        commands = [c for run in builder.runs for c in replayed_commands(run, venv)]
        if not any(c[:2] == ["uv", "sync"] for c in commands):
            problems.append(f"{label}: the builder runs no `uv sync`")
        for command in commands:
            # The commands come from this repository's own Dockerfiles.
            done = subprocess.run(  # noqa: S603
                command, cwd=workdir, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                problems.append(f"{label}: `{shlex.join(command)}` failed:\n{done.stderr}")
                return problems
        problems += check_venv(label, service, venv)
    return problems


def copy_into(source: Path, workdir: Path, destination: str, name: str) -> None:
    """Docker's COPY: a directory's contents go into the destination; `dest/` keeps names."""
    target = workdir / destination
    if source.is_dir():
        shutil.copytree(
            source,
            target,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", ".venv", "*.pyc"),
        )
    else:
        if destination.endswith("/") or destination in {".", "./"}:
            target = target / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def check_venv(label: str, service: str, venv: Path) -> list[str]:
    problems = []
    site = next(venv.glob("lib/python3*/site-packages"), None)
    if site is None:
        return [f"{label}: no site-packages in the replayed venv"]
    ours = {p.name for p in site.iterdir() if p.is_dir() and p.name.startswith("bancone_")}
    ours = {name for name in ours if not name.endswith(".dist-info")}
    expected = SHARED_PACKAGES | {f"bancone_{service}"}
    if ours != expected:
        problems.append(f"{label}: bancone packages {sorted(ours)}, expected {sorted(expected)}")
    if any(site.glob("*.pth")) and any("src" in p.read_text() for p in site.glob("*.pth")):
        problems.append(f"{label}: an editable install (a .pth pointing at src/) was made")
    script = venv / "bin" / f"bancone-{service}"
    if not script.exists():
        return [*problems, f"{label}: no console script bancone-{service}"]
    entrypoint = venv / "bin" / ENTRYPOINT_LINK
    if not entrypoint.is_symlink() or entrypoint.resolve() != script.resolve():
        return [*problems, f"{label}: {ENTRYPOINT_LINK} is not a link to bancone-{service}"]
    # One call through the entry point imports the whole service (its __main__ imports
    # bootstrap) and lists its commands.
    done = subprocess.run(  # noqa: S603 - the console script this replay just installed
        [str(entrypoint), "--help"], capture_output=True, text=True, check=False, cwd=venv
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        problems.append(f"{label}: `{ENTRYPOINT_LINK} --help` failed: {tail}")
    elif not {"serve", "migrate"} <= set(re.findall(r"\w+", done.stdout)):
        problems.append(f"{label}: `{ENTRYPOINT_LINK} --help` lists no serve/migrate commands")
    migrations = site / f"bancone_{service}" / "migrations" / "env.py"
    if not migrations.exists():
        problems.append(f"{label}: the installed package has no migrations/env.py")
    return problems


def main(argv: list[str]) -> int:
    services = argv or sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))
    failed = False
    for service in services:
        started = time.monotonic()
        problems = replay(DOCKERFILE, service)
        took = time.monotonic() - started
        if problems:
            failed = True
            print(f"FAIL {DOCKERFILE.name} SERVICE={service} ({took:.1f}s)")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"ok   {DOCKERFILE.name} SERVICE={service}: builder stage replayed ({took:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
