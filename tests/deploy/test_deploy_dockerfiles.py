"""Each service's Dockerfile has the properties its image must have. No Docker engine exists
where this project is built, so the images are never built here: these tests read the files,
and deploy/tools/dockerfile_replay.py (in `make deploy-check`) replays the builder's uv steps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "deploy" / "docker"
SERVICES = sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))


def instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            words = rest.split()
            current = words[2] if len(words) > 2 else words[0]
            found[current] = []
        elif current is not None:
            found[current].append((keyword, rest))
    return found


def args(text: str) -> dict[str, str]:
    return dict(
        rest.split("=", 1)
        for keyword, rest in instructions(text)
        if keyword == "ARG" and "=" in rest
    )


def test_every_service_has_a_dockerfile_and_nothing_else_does() -> None:
    assert (
        sorted(p.name.removesuffix(".Dockerfile") for p in DOCKER.glob("*.Dockerfile")) == SERVICES
    )


@pytest.mark.parametrize("service", SERVICES)
def test_the_base_is_a_pinned_slim_python_311(service: str) -> None:
    text = (DOCKER / f"{service}.Dockerfile").read_text()
    image = args(text)["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image
    assert re.fullmatch(
        r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", args(text)["UV_IMAGE"]
    )
    froms = [rest for keyword, rest in instructions(text) if keyword == "FROM"]
    assert froms == [
        "${UV_IMAGE} AS uv",
        "${PYTHON_IMAGE} AS builder",
        "${PYTHON_IMAGE} AS runtime",
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_the_builder_installs_only_this_service_from_the_lock(service: str) -> None:
    builder = stages((DOCKER / f"{service}.Dockerfile").read_text())["builder"]
    syncs = [rest for keyword, rest in builder if keyword == "RUN" and "uv sync" in rest]
    assert len(syncs) == 2
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f"--package bancone-{service}"):
            assert flag in sync, (flag, sync)
    copies = " ".join(rest for keyword, rest in builder if keyword == "COPY")
    others = [s for s in SERVICES if s != service and f"services/{s}" in copies]
    assert others == [], "another service's code is copied into the image"
    assert "uv.lock" in copies


@pytest.mark.parametrize("service", SERVICES)
def test_the_runtime_is_non_root_unbuffered_without_build_tools_and_serves(service: str) -> None:
    runtime = stages((DOCKER / f"{service}.Dockerfile").read_text())["runtime"]
    text = "\n".join(f"{k} {r}" for k, r in runtime)
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users, "no USER in the final stage"
    assert re.fullmatch(r"[1-9]\d{3,}(:[1-9]\d{3,})?", users[-1]), "a numeric, non-root UID"
    assert "PYTHONUNBUFFERED=1" in text
    copies_from = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert copies_from == ["--from=builder /app/.venv /app/.venv"], "only the built venv"
    for tool in ("gcc", "build-essential", "apt-get install", "uv sync", "pip install", "/uv"):
        assert tool not in text, f"{tool} in the final stage"
    assert "pip uninstall" in text, "the base image's installers are removed"
    entrypoint = [rest for keyword, rest in runtime if keyword == "ENTRYPOINT"]
    assert entrypoint == [f'["bancone-{service}"]']
    assert [rest for keyword, rest in runtime if keyword == "CMD"] == ['["serve"]']


@pytest.mark.parametrize("service", SERVICES)
def test_the_exposed_port_is_the_services_port(service: str) -> None:
    runtime = stages((DOCKER / f"{service}.Dockerfile").read_text())["runtime"]
    exposed = [rest for keyword, rest in runtime if keyword == "EXPOSE"]
    settings = (
        REPO / "services" / service / "src" / f"bancone_{service}" / "settings.py"
    ).read_text()
    port = re.search(r"http_port: Port = (\d+)", settings)
    assert port is not None
    assert exposed == [port[1]]
