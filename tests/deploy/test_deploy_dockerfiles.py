"""The service Dockerfile template gives every service's image the properties it must have.
No Docker engine exists where this project is built, so the images are never built here:
these tests read the template as `--build-arg SERVICE=<service>` makes Docker read it, and
deploy/tools/dockerfile_replay.py (in `make deploy-check`) replays the builder's steps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "deploy" / "docker"
TEMPLATE = DOCKER / "Dockerfile"
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


def built_for(service: str) -> str:
    """The template with the build argument substituted, as Docker expands it."""
    return TEMPLATE.read_text().replace("${SERVICE}", service)


def test_one_template_serves_every_service_and_no_per_service_copies_exist() -> None:
    assert sorted(p.name for p in DOCKER.iterdir()) == ["Dockerfile"]
    builder = stages(TEMPLATE.read_text())["builder"]
    assert ("ARG", "SERVICE") in builder, "SERVICE is a build argument without a default"
    guard = next(rest for keyword, rest in builder if keyword == "RUN")
    accepted = re.search(r'case "\$\{SERVICE\}" in ([a-z|]+)\)', guard)
    assert accepted is not None, "the first RUN refuses a SERVICE that is none of the services"
    assert sorted(accepted[1].split("|")) == SERVICES
    assert builder.index(("ARG", "SERVICE")) < min(
        i for i, (keyword, _) in enumerate(builder) if keyword == "COPY"
    )


def test_the_base_is_a_pinned_slim_python_311() -> None:
    text = TEMPLATE.read_text()
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
    builder = stages(built_for(service))["builder"]
    syncs = [rest for keyword, rest in builder if keyword == "RUN" and "uv sync" in rest]
    assert len(syncs) == 2
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f"--package bancone-{service}"):
            assert flag in sync, (flag, sync)
    copies = " ".join(rest for keyword, rest in builder if keyword == "COPY")
    others = [s for s in SERVICES if s != service and f"services/{s}" in copies]
    assert others == [], "another service's code is copied into the image"
    assert f"services/{service}" in copies
    assert "uv.lock" in copies


@pytest.mark.parametrize("service", SERVICES)
def test_the_entry_point_is_a_link_to_this_services_console_script(service: str) -> None:
    built = stages(built_for(service))
    links = [rest for keyword, rest in built["builder"] if keyword == "RUN" and "ln -s" in rest]
    assert links == [f'ln -s "bancone-{service}" /app/.venv/bin/bancone-service']
    runtime = built["runtime"]
    assert [rest for keyword, rest in runtime if keyword == "ENTRYPOINT"] == ['["bancone-service"]']
    assert [rest for keyword, rest in runtime if keyword == "CMD"] == ['["serve"]']
    pyproject = (REPO / "services" / service / "pyproject.toml").read_text()
    assert re.search(rf"^bancone-{service} = ", pyproject, re.MULTILINE), "no such console script"


def test_the_runtime_is_non_root_unbuffered_and_without_build_tools() -> None:
    runtime = stages(TEMPLATE.read_text())["runtime"]
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
    assert "SERVICE" not in text, "the runtime stage does not depend on the build argument"


@pytest.mark.parametrize("service", SERVICES)
def test_the_services_port_is_declared_by_its_deployment_not_the_image(service: str) -> None:
    """One template serves five ports, so it exposes none; the Deployment's containerPort is
    the declaration Kubernetes reads (tests/deploy checks it against the settings too)."""
    assert [
        rest for keyword, rest in instructions(TEMPLATE.read_text()) if keyword == "EXPOSE"
    ] == []
    settings = (
        REPO / "services" / service / "src" / f"bancone_{service}" / "settings.py"
    ).read_text()
    port = re.search(r"http_port: Port = (\d+)", settings)
    assert port is not None
    manifest = (REPO / "deploy" / "k8s" / "base" / "services" / f"{service}.yaml").read_text()
    assert re.search(rf"containerPort: {port[1]}\b", manifest), (service, port[1])
