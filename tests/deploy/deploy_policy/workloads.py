"""Workloads: probes, resources, a locked-down security context, companions (Service,
ServiceAccount, PodDisruptionBudget), images and commands that name real services, and a
ServiceMonitor per service."""

from __future__ import annotations

import re

from .documents import (
    DOCKER_DIR,
    Doc,
    all_containers,
    by_kind,
    console_scripts,
    find,
    labels_match,
    main_container,
    pod_spec,
    service_names,
)

# --------------------------------------------------------------------------- workloads


def workload_problems(docs: list[Doc]) -> list[str]:
    """Each service Deployment: probes, resources, security context, writable /tmp, grace,
    its Service, ServiceAccount and PodDisruptionBudget; the same for every container."""
    problems: list[str] = []
    deployments = by_kind(docs, "Deployment")
    names = {d["metadata"]["name"] for d in deployments}
    for service in service_names():
        if service not in names:
            problems.append(f"service {service} has no Deployment")
    for workload in [*deployments, *by_kind(docs, "StatefulSet")]:
        problems += _one_workload(docs, workload)
    return problems


def _one_workload(docs: list[Doc], workload: Doc) -> list[str]:
    name = f"{workload['kind']} {workload['metadata']['name']}"
    spec = pod_spec(workload)
    problems: list[str] = []
    pod_security = spec.get("securityContext") or {}
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{name}: pod securityContext.runAsNonRoot is not true")
    if (pod_security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile is not RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: the pod mounts a service account token it never uses")
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < 30:
        problems.append(f"{name}: terminationGracePeriodSeconds {grace!r} < 30")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for container in all_containers(workload):
        where = f"{name} container {container['name']}"
        problems += _container_security(where, container)
        problems += _container_resources(where, container)
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        tmp = volumes.get(mounts.get("/tmp", ""), {})
        if "emptyDir" not in tmp:
            problems.append(f"{where}: /tmp is not an emptyDir (the root filesystem is read-only)")
    main = main_container(workload)
    problems += _probes(name, main)
    problems += _companions(docs, workload)
    return problems


def _container_security(where: str, container: Doc) -> list[str]:
    security = container.get("securityContext") or {}
    problems = []
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem is not true")
    if security.get("privileged"):
        problems.append(f"{where}: privileged")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{where}: capabilities.drop does not include ALL")
    if (security.get("capabilities") or {}).get("add"):
        problems.append(f"{where}: adds capabilities")
    return problems


def _container_resources(where: str, container: Doc) -> list[str]:
    resources = container.get("resources") or {}
    problems = []
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(section) or {}):
                problems.append(f"{where}: no {section}.{resource}")
    return problems


def _probes(name: str, container: Doc) -> list[str]:
    problems = []
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    wanted = {"readinessProbe": "/readyz", "livenessProbe": {"/healthz", "/livez"}}
    for probe_name, paths in wanted.items():
        probe = container.get(probe_name)
        http = (probe or {}).get("httpGet")
        if not http:
            problems.append(f"{name}: no HTTP {probe_name}")
            continue
        allowed = {paths} if isinstance(paths, str) else paths
        if http.get("path") not in allowed:
            problems.append(f"{name}: {probe_name} path {http.get('path')} not {sorted(allowed)}")
        port = http.get("port")
        if port not in ports and port not in ports.values():
            problems.append(f"{name}: {probe_name} port {port!r} is not a container port")
    return problems


def _companions(docs: list[Doc], workload: Doc) -> list[str]:
    name = workload["metadata"]["name"]
    spec = pod_spec(workload)
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    problems = []
    account = spec.get("serviceAccountName")
    if not account or find(docs, "ServiceAccount", account) is None:
        problems.append(f"{workload['kind']} {name}: its ServiceAccount {account!r} is missing")
    if not any(
        labels_match(p["spec"].get("selector"), labels)
        for p in by_kind(docs, "PodDisruptionBudget")
    ):
        problems.append(f"{workload['kind']} {name}: no PodDisruptionBudget selects its pods")
    if not any(
        s["spec"].get("selector")
        and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        for s in by_kind(docs, "Service")
    ):
        problems.append(f"{workload['kind']} {name}: no Service selects its pods")
    return problems


# --------------------------------------------------------------------------- images and commands


IMAGE = re.compile(r"^(?:(?P<registry>.+)/)?bancone/(?P<service>[a-z0-9-]+):(?P<tag>[\w.-]+)$")


def image_problems(docs: list[Doc]) -> list[str]:
    """Images name a real service and an exact tag; commands are its console script's
    `serve` (main container) and `migrate` (init container), which its Dockerfile runs."""
    problems: list[str] = []
    services = set(service_names())
    for workload in by_kind(docs, "Deployment"):
        name = workload["metadata"]["name"]
        for container in all_containers(workload):
            where = f"Deployment {name} container {container['name']}"
            match = IMAGE.match(container.get("image", ""))
            if not match:
                problems.append(
                    f"{where}: image {container.get('image')!r} is not bancone/<service>:<tag>"
                )
                continue
            service = match["service"]
            if service not in services:
                problems.append(
                    f"{where}: image names {service!r}, which is no service in services/"
                )
                continue
            if service != name:
                problems.append(f"{where}: runs the {service} image in the {name} Deployment")
            if match["tag"] == "latest":
                problems.append(f"{where}: image tag latest")
            script = f"bancone-{service}"
            if script not in console_scripts(service):
                problems.append(f"{where}: services/{service} declares no console script {script}")
            entrypoint = dockerfile_entrypoint(service)
            if entrypoint != [script]:
                problems.append(
                    f"{where}: deploy/docker/Dockerfile (SERVICE={service}) ENTRYPOINT is {entrypoint}"
                )
            command = container.get("command")
            if command and command != [script]:
                problems.append(f"{where}: command {command} overrides the entry point {script}")
            expected = (
                ["migrate"]
                if container in pod_spec(workload).get("initContainers", [])
                else ["serve"]
            )
            if container.get("args") != expected:
                problems.append(f"{where}: args {container.get('args')} are not {expected}")
    return problems


def dockerfile_entrypoint(service: str) -> list[str] | None:
    """The ENTRYPOINT of the image deploy/docker/Dockerfile builds with --build-arg
    SERVICE=<service>: the template runs `bancone-service`, which its builder links to
    `bancone-${SERVICE}`; returned as the console script that link runs."""
    path = DOCKER_DIR / "Dockerfile"
    if not path.exists():
        return None
    text = path.read_text().replace("${SERVICE}", service)
    found = re.findall(r"^ENTRYPOINT\s+(\[.*\])\s*$", text, re.MULTILINE)
    if not found:
        return None
    entrypoint = [part.strip().strip('"') for part in found[-1].strip("[]").split(",")]
    links = {
        name: target
        for target, name in re.findall(r'ln -s "?([\w-]+)"? /app/\.venv/bin/([\w-]+)', text)
    }
    return [links.get(entrypoint[0], entrypoint[0]), *entrypoint[1:]]


def monitoring_problems(docs: list[Doc]) -> list[str]:
    """A ServiceMonitor per service scraping /metrics on its Service's HTTP port."""
    problems = []
    monitors = by_kind(docs, "ServiceMonitor")
    for service in service_names():
        svc = find(docs, "Service", service)
        labels = (svc or {}).get("metadata", {}).get("labels", {})
        port_names = {p.get("name") for p in (svc or {}).get("spec", {}).get("ports", [])}
        ok = [
            m
            for m in monitors
            if labels_match(m["spec"]["selector"], labels)
            and any(
                e.get("path") == "/metrics" and e.get("port") in port_names
                for e in m["spec"]["endpoints"]
            )
        ]
        if not ok:
            problems.append(f"{service}: no ServiceMonitor scrapes /metrics on its Service")
    return problems
